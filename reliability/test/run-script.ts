// Runs a reliability script (dist/<script>.js) in a plain Node child process and
// reads the one JSON line it prints. The child must exit on its own, with code 0:
// a pool that left a worker, port, timer or listener behind would keep it alive,
// and the run fails at its deadline instead.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

/** Compiles src/ when dist/ is missing or older than a source file (`pnpm test` has built it already). */
export function ensureBuilt(): void {
  const newest = (dir: string): number => Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)))
  const dist = join(root, 'dist')
  if (existsSync(dist) && newest(dist) >= newest(join(root, 'src'))) return
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc')
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' })
}

export interface ScriptRun<T> {
  /** The exit code, or null when it was killed at the deadline. */
  readonly code: number | null
  /** Whether the deadline passed with the process still running. */
  readonly hung: boolean
  readonly report: T | undefined
  readonly stderr: string
  readonly ms: number
}

/** Runs `node [nodeArgs] dist/<script>.js ...args` and waits for it to exit, killing it after `deadlineMs`. */
export function runScript<T>(script: string, args: readonly string[], deadlineMs: number, nodeArgs: readonly string[] = []): Promise<ScriptRun<T>> {
  ensureBuilt()
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, join(root, 'dist', `${script}.js`), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let hung = false
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
    const timer = setTimeout(() => {
      hung = true
      child.kill('SIGKILL')
    }, deadlineMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      const line = stdout.trim().split('\n').pop()
      let report: T | undefined
      try {
        report = line ? (JSON.parse(line) as T) : undefined
      } catch {
        report = undefined
      }
      resolve({ code, hung, report, stderr, ms: performance.now() - started })
    })
  })
}
