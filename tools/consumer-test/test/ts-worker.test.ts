// The node-adapter README's recipe for worker files in TypeScript: a .mjs
// trampoline that loads the .ts worker with tsx's tsImport(), installed as a
// user would (`npm install tsx`), on threads and on processes.
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { copyFixture } from './support/context.js'
import { exec, explain } from './support/exec.js'

const DEADLINE_MS = 60_000

describe('a worker file in TypeScript through the tsx trampoline (hash.worker.mjs -> tsImport("./hash.worker.ts"))', () => {
  for (const runtime of ['threads', 'processes'] as const) {
    it(`runs tasks from the .ts worker on ${runtime}() and exits 0 by itself`, async () => {
      const dir = await copyFixture('node', 'ts-worker', `ts-worker-${runtime}`)
      const result = await exec(process.execPath, ['main.mjs', runtime], { cwd: dir, timeoutMs: DEADLINE_MS })
      expect(result.code, explain(result)).toBe(0)
      expect(result.timedOut, explain(result)).toBe(false)
      const last = result.stdout.trimEnd().split('\n').at(-1) ?? ''
      expect(last, explain(result)).toBe(JSON.stringify({ digest: createHash('sha256').update('typed').digest('hex'), repeated: 'tststs' }))
    })
  }
})
