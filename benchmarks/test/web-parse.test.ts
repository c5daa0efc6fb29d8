// Smoke check of `pnpm bench web-parse --quick`: the web-parse suite drives examples/web-parse in headless
// Chromium (Debian's /usr/bin/chromium, as the browser tests), checks every line's counts against the parse
// in Node (it throws if they differ) and prints a median and the ratios. It checks that the figures exist,
// never how fast they are. Not in smoke.test.ts's list: this suite prints its own section, no results table.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const main = join(root, 'dist/main.js')

describe('pnpm bench web-parse --quick', () => {
  let dir: string
  let run: { code: number | null; stdout: string; stderr: string }

  beforeAll(async () => {
    if (!existsSync(join(root, 'dist/suites/web-parse.js'))) {
      const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc')
      execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' })
    }
    dir = mkdtempSync(join(tmpdir(), 'poolkit-bench-web-parse-'))
    const env: NodeJS.ProcessEnv = { ...process.env, BENCH_RESULTS_DIR: dir }
    for (const name of ['BENCH_QUICK', 'BENCH_FILTER', 'BENCH_BATCH', 'BENCH_VERBOSE', 'BENCH_WAIT_IDLE', 'BENCH_WEB_PARSE_DIR']) delete env[name]
    run = await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--expose-gc', main, '--quick', 'web-parse'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
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

  it('exits 0, prints a median for every line, the ratios, and counts equal to the parse in Node', () => {
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^## web-parse: [\d,]+ files, [\d.]+ MB of .+ parsed with web-tree-sitter in headless Chromium/m)
    for (const line of ['pool of 2 workers', 'pool of 2, prefetchMs 50', 'one worker (pool of 1)', 'main thread', '2 independent workers (limit)']) {
      expect(run.stdout).toMatch(new RegExp(`^${line.replace(/[()]/g, '\\$&')} +[\\d.]+ s `, 'm'))
    }
    expect(run.stdout).toMatch(/^web-parse {3}pool of 2 \/ one worker [\d.]+x, \/ main thread [\d.]+x; the limit \(2 independent \/ main thread\) [\d.]+x; pool \/ limit [\d.]+x/m)
    expect(run.stdout).toMatch(/^web-parse {3}counts equal to Node's on every line and round: javascript \d+ files/m)
  })
})
