// The quick starts as a user copies them, run with plain `node` in a project
// that installed the tarballs with npm. "Exits 0 by itself": no process.exit()
// in the fixtures, so a timer, worker, socket or listener left behind by a
// closed pool shows here as a kill at the deadline.
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { copyFixture } from './support/context.js'
import { exec, explain } from './support/exec.js'
import type { ExecResult } from './support/exec.js'

const DEADLINE_MS = 30_000

const expected = {
  digest: createHash('sha256').update('hello, poolkit').digest('hex'),
  shout: 'HELLO, POOLKIT',
  all: ['A', 'B', 'C'],
}

/** The JSON a fixture printed on its last line of stdout, or a failure that says how the run ended. */
function printed(result: ExecResult): unknown {
  expect(result.code, explain(result)).toBe(0)
  expect(result.timedOut, explain(result)).toBe(false)
  const last = result.stdout.trimEnd().split('\n').at(-1) ?? ''
  try {
    return JSON.parse(last)
  } catch {
    throw new Error(`expected a JSON line on stdout: ${explain(result)}`)
  }
}

describe('the quick start in a project with only `npm install @poolkit/core @poolkit/node-adapter`', () => {
  for (const runtime of ['threads', 'processes'] as const) {
    it(`ESM: \`node main.mjs\` on ${runtime}() prints the results and exits 0 by itself`, async () => {
      const dir = await copyFixture('minimal', 'quick-start', `quick-start-esm-${runtime}`)
      const result = await exec(process.execPath, ['main.mjs', runtime], { cwd: dir, timeoutMs: DEADLINE_MS })
      expect(printed(result)).toEqual(expected)
      expect(result.stderr, `nothing on stderr: ${explain(result)}`).toBe('')
    })

    it(`CommonJS (Node >= 20.19, require of ESM): \`node main.cjs\` with a .cjs worker on ${runtime}() prints the results and exits 0 by itself`, async () => {
      // process.features.require_module: true where require() loads ES modules (Node 20.19+, 22.12+; 22.10 behind a flag).
      const requireModule = (process.features as { require_module?: boolean }).require_module
      expect(requireModule, `this Node (${process.version}) cannot require() ES modules, which the CommonJS quick start needs: run the tests on Node >= 20.19`).toBe(true)
      const dir = await copyFixture('minimal', 'quick-start', `quick-start-cjs-${runtime}`)
      const result = await exec(process.execPath, ['main.cjs', runtime], { cwd: dir, timeoutMs: DEADLINE_MS })
      expect(printed(result)).toEqual(expected)
    })
  }
})

describe("the root README's composed pool", () => {
  it('`node compose.mjs` (fair queue, breaker + bulkhead, adaptive limit, metrics and their HTTP server) runs a task and exits 0 by itself', async () => {
    const dir = await copyFixture('node', 'quick-start', 'quick-start-compose')
    const result = await exec(process.execPath, ['compose.mjs'], { cwd: dir, timeoutMs: DEADLINE_MS })
    expect(printed(result)).toEqual({ chars: 37, p99IsNumber: true, servesPrometheus: true })
    expect(result.stderr, `nothing on stderr: ${explain(result)}`).toBe('')
  })
})
