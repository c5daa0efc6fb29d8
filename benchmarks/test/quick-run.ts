// Runs `node --expose-gc dist/main.js --quick <suites>` as `pnpm bench --quick` does, for the smoke tests:
// built first where dist/ is missing or older than a source file (`pnpm test` has built it already), its
// results in a temporary folder, and none of the caller's bench settings leaking in.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const main = join(root, 'dist/main.js')

/** The bench settings read from the environment; a quick run is steered by its flags alone. */
const SETTINGS = ['BENCH_QUICK', 'BENCH_FILTER', 'BENCH_BATCH', 'BENCH_VERBOSE', 'BENCH_WAIT_IDLE', 'BENCH_WEB_PARSE_DIR', 'BENCH_GATEWAYS']

/** How a quick run ended, and the folder its results were written to (`remove()` deletes it). */
export interface QuickRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly resultsDir: string
  remove(): void
}

/** Compiles the suites when dist/ is missing or older than a source file. */
function ensureBuilt(): void {
  const newest = (dir: string): number => Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)))
  if (existsSync(main) && statSync(main).mtimeMs >= newest(join(root, 'src'))) return
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc')
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' })
}

/** Runs the suites in quick mode in a child process and resolves once it exits. */
export async function runQuick(suites: readonly string[]): Promise<QuickRun> {
  ensureBuilt()
  const resultsDir = mkdtempSync(join(tmpdir(), `poolkit-bench-${suites.length === 1 ? suites[0] : 'smoke'}-`))
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_RESULTS_DIR: resultsDir }
  for (const name of SETTINGS) delete env[name]
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', main, '--quick', ...suites], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c))
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c))
    child.on('error', reject)
    child.on('close', (exit) => resolve({ code: exit, stdout: out, stderr: err }))
  })
  return { code, stdout, stderr, resultsDir, remove: () => rmSync(resultsDir, { recursive: true, force: true }) }
}
