// Smoke check of `pnpm bench demo --quick`: the demo suite parses the same files through poolkit, piscina
// and tinypool (it throws if their totals differ) and prints a median and a ratio for each. It checks
// that the figures exist, never how fast they are. Not in smoke.test.ts's list, which every quick
// suite's results table must be in; this suite prints its own section.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const main = join(root, 'dist/main.js')

describe('pnpm bench demo --quick', () => {
  let dir: string
  let run: { code: number | null; stdout: string; stderr: string }

  beforeAll(async () => {
    if (!existsSync(join(root, 'dist/suites/demo.js'))) {
      const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc')
      execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' })
    }
    dir = mkdtempSync(join(tmpdir(), 'poolkit-bench-demo-'))
    const env: NodeJS.ProcessEnv = { ...process.env, BENCH_RESULTS_DIR: dir }
    for (const name of ['BENCH_QUICK', 'BENCH_FILTER', 'BENCH_BATCH', 'BENCH_VERBOSE', 'BENCH_WAIT_IDLE']) delete env[name]
    run = await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--expose-gc', main, '--quick', 'demo'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
      child.on('error', reject)
      child.on('close', (code) => resolve({ code, stdout, stderr }))
    })
  }, 120_000)

  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it('exits 0 and prints a median for poolkit, piscina and tinypool, and poolkit over each', () => {
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^## Demo: the parse-codebase job on 2 workers \([\d,]+ files, [\d.]+ MB/m)
    for (const line of ['poolkit threads()', 'poolkit threads() prefetchMs 50', 'piscina', 'tinypool']) expect(run.stdout).toMatch(new RegExp(`^${line.replace(/[()]/g, '\\$&')} +[\\d.]+ s `, 'm'))
    expect(run.stdout).toMatch(/^demo {8}poolkit threads\(\) \/ piscina: [\d.]+x/m)
    expect(run.stdout).toMatch(/^demo {8}poolkit threads\(\) \/ tinypool: [\d.]+x/m)
  })
})
