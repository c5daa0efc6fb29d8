// Runs a command the way a user would in a terminal, with a deadline, and says
// what went wrong in words a failing test can show as is.
import { spawn } from 'node:child_process'

export interface ExecResult {
  /** The command line, for messages. */
  readonly command: string
  readonly cwd: string
  /** The exit code, or null when a signal ended it. */
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  /** True when it was still running at the deadline and was killed. */
  readonly timedOut: boolean
  readonly ms: number
}

export interface ExecOptions {
  readonly cwd: string
  /** Killed (SIGKILL, with its children) after this many ms. */
  readonly timeoutMs: number
  readonly env?: Readonly<Record<string, string | undefined>>
}

// What the environment of the test runner (pnpm, vitest, turbo) would leak into
// a user's command. npm settings that point at a registry, a cache or a proxy
// stay: CI may route npm through a mirror.
const KEPT_NPM_CONFIG = /^npm_config_(registry|cache|proxy|https_proxy|http_proxy|noproxy|no_proxy|strict_ssl|cafile|userconfig|globalconfig|prefer_offline|offline)$/i

/** The test runner's environment with the runner's own variables taken out. */
export function cleanEnv(extra: Readonly<Record<string, string | undefined>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue
    if (/^(npm|pnpm)_/i.test(key) && !KEPT_NPM_CONFIG.test(key)) continue
    if (/^(VITEST|TURBO_|TINYPOOL|NODE_OPTIONS$|NODE_PATH$|NODE_ENV$|FORCE_COLOR$|INIT_CWD$|PNPM_)/.test(key)) continue
    env[key] = value
  }
  env['NO_COLOR'] = '1'
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key]
    else env[key] = value
  }
  return env
}

export function exec(command: string, args: readonly string[], options: ExecOptions): Promise<ExecResult> {
  const started = performance.now()
  const line = [command, ...args].map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : JSON.stringify(part))).join(' ')
  return new Promise((resolve) => {
    // detached: its own process group, so a deadline kills what it started too (npx, workers).
    const child = spawn(command, args, { cwd: options.cwd, env: cleanEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => {
      timedOut = true
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
      } catch {
        child.kill('SIGKILL')
      }
    }, options.timeoutMs)
    const finish = (code: number | null, signal: NodeJS.Signals | null, error?: Error): void => {
      clearTimeout(timer)
      if (error !== undefined) stderr += `\n${error.message}`
      resolve({ command: line, cwd: options.cwd, code, signal, stdout, stderr, timedOut, ms: Math.round(performance.now() - started) })
    }
    child.once('error', (error) => finish(null, null, error))
    child.once('close', (code, signal) => finish(code, signal))
  })
}

/** The last `lines` lines of a text, indented, or `(empty)`. */
export function tail(text: string, lines = 40): string {
  const all = text.trimEnd().split('\n')
  if (all.length === 1 && all[0] === '') return '    (empty)'
  const shown = all.slice(-lines)
  return (all.length > lines ? [`    ... (${all.length - lines} lines before)`] : []).concat(shown.map((l) => `    ${l}`)).join('\n')
}

/** One paragraph that says how a command ended, with the tails of its output. */
export function explain(result: ExecResult): string {
  const ending = result.timedOut
    ? `was still running after ${result.ms} ms and was killed (it did not exit by itself)`
    : result.code === null
      ? `was ended by ${result.signal ?? 'an error'} after ${result.ms} ms`
      : `exited with code ${result.code} after ${result.ms} ms`
  return `\`${result.command}\` in ${result.cwd} ${ending}\n  stderr (tail):\n${tail(result.stderr)}\n  stdout (tail):\n${tail(result.stdout)}`
}
