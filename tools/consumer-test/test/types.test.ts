// Strict tsc, in the consumer projects, with the TypeScript installed there (not
// the workspace's), over programs that use the packages as their READMEs do.
// `skipLibCheck: false`: the packages' .d.ts files are checked too, as in a
// user's project that does not skip them.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { copyFixture } from './support/context.js'
import { exec, explain } from './support/exec.js'
import type { ExecResult } from './support/exec.js'

const DEADLINE_MS = 90_000

async function tsc(dir: string, tsconfig: string): Promise<ExecResult> {
  // The project's own compiler: <project>/node_modules/typescript, one level up.
  return exec(process.execPath, [join(dir, '..', 'node_modules', 'typescript', 'bin', 'tsc'), '-p', tsconfig, '--pretty', 'false'], { cwd: dir, timeoutMs: DEADLINE_MS })
}

function expectClean(result: ExecResult): void {
  // tsc prints its diagnostics on stdout; anything on stderr is tsc itself failing.
  const message =
    result.code === 2 || result.code === 1
      ? `tsc reported errors (\`${result.command}\` in ${result.cwd}, exit code ${result.code}):\n${result.stdout.trim()}${result.stderr.trim() === '' ? '' : `\n${result.stderr.trim()}`}`
      : explain(result)
  expect(result.timedOut ? 'timed out' : result.code, message).toBe(0)
}

describe('strict tsc of a Node program using core, queue, scaler, breaker, metrics (+ /http), node-adapter (+ /worker), resource, bullmq and routing', () => {
  for (const mode of ['node16', 'nodenext', 'bundler'] as const) {
    it(`compiles with moduleResolution ${mode} (ES2022, types: ["node"], skipLibCheck: false)`, async () => {
      const dir = await copyFixture('node', 'types-node', `types-${mode}`)
      expectClean(await tsc(dir, `tsconfig.${mode}.json`))
    })
  }
})

describe('strict tsc of a browser-only project (lib DOM, types: [], no @types/node installed)', () => {
  it('compiles a page and its worker using core, queue, scaler, breaker, metrics, web-adapter (+ /worker), resource and routing', async () => {
    const dir = await copyFixture('dom', 'types-dom', 'types-dom')
    // The point of the check: nothing may lean on Node's types, and none are there to lean on.
    expect(existsSync(join(dir, '..', 'node_modules', '@types', 'node')), '@types/node must not be installed in the DOM project').toBe(false)
    expectClean(await tsc(dir, 'tsconfig.json'))
  })
})
