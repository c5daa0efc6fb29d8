import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import type { EventLoopUtilization } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { Channel, ChannelExit } from '@poolkit/core/remote'
import type { ProcessesOptions, ThreadsOptions } from '../options.js'
import { WORKER_DATA_ENV } from './env.js'
import type { ResolvedNodeOptions } from './validate.js'

function workerEnv(options: ResolvedNodeOptions): Record<string, string | undefined> {
  return { ...(options.env ?? process.env) }
}

export function threadChannel(options: ResolvedNodeOptions, threadOptions: ThreadsOptions): Channel {
  const worker = new Worker(options.url, {
    workerData: options.workerData,
    env: workerEnv(options),
    argv: options.argv === undefined ? undefined : [...options.argv],
    execArgv: options.execArgv === undefined ? undefined : [...options.execArgv],
    name: options.name,
    resourceLimits: threadOptions.resourceLimits,
  })
  let exited: Promise<void> | undefined
  let lastElu: EventLoopUtilization | undefined
  let lastValue = 0
  return {
    transfers: true,
    post: (post, transfer) => (transfer === undefined ? worker.postMessage(post) : worker.postMessage(post, transfer as never)),
    onMessage: (listener) => void worker.on('message', listener),
    onError: (listener) => {
      worker.on('error', listener)
      // A message that cannot be deserialised on this side.
      worker.on('messageerror', listener)
    },
    onExit: (listener) => void worker.on('exit', (code) => listener({ exitCode: code })),
    kill: () => (exited ??= worker.terminate().then(() => undefined)),
    // Over windows of at least 100 ms, so stats() and a scaler reading it in
    // turn both see a meaningful figure.
    eventLoopUtilization: () => {
      const now = worker.performance.eventLoopUtilization()
      if (lastElu === undefined || now.idle + now.active - (lastElu.idle + lastElu.active) >= 100) {
        lastValue = (lastElu === undefined ? now : worker.performance.eventLoopUtilization(now, lastElu)).utilization
        lastElu = now
      }
      return lastValue
    },
  }
}

// Loaded before the child's own file (`--import`): a file that fails to load (missing,
// a syntax error, a throw at top level) or a fatal error later is sent to the main
// side as an init-error, so the pool can say why the worker died; then it exits as
// Node would have. A child whose channel closes (its parent exited or crashed, even
// while the child was still in setup) exits too, rather than live on as an orphan:
// an unref'd check every 250 ms, since a 'disconnect' listener would hold the channel
// open and keep alive a child that should end (one that never calls expose()).
// Inline, so no file of ours has to be found at run time.
// What was thrown may be hostile (getters or proxy traps that throw, a toString
// that throws): every read is guarded and the message holds only strings, so the
// handler itself never throws (a throw here would end the child with no word why).
const CHILD_PRELOAD =
  'data:text/javascript,' +
  encodeURIComponent(`setInterval(() => process.connected || process.exit(0), 250).unref()
process.on('uncaughtException', (e) => {
  const attempt = (f, fallback) => { try { return f() } catch { return fallback } }
  const text = (v) => attempt(() => String(v), undefined) ?? attempt(() => Object.prototype.toString.call(v), '<a thrown value that cannot be described>')
  if (!attempt(() => (console.error(e), true), false)) attempt(() => console.error('Uncaught ' + text(e)))
  const unreadable = {}
  const read = (key) => attempt(() => e[key], unreadable)
  let error
  if (attempt(() => e instanceof Error, false) || (typeof read('message') === 'string' && typeof read('stack') === 'string')) {
    const name = read('name'), message = read('message'), stack = read('stack'), code = read('code')
    error = {
      __poolkitError: 1,
      name: typeof name === 'string' ? name : 'Error',
      message: typeof message === 'string' ? message : message === unreadable ? '<the error message could not be read>' : text(message),
      stack: typeof stack === 'string' ? stack : undefined,
      code: typeof code === 'string' || typeof code === 'number' ? code : undefined,
    }
  } else error = { __poolkitValue: 1, value: text(e) }
  if (attempt(() => process.connected, false) && attempt(() => (process.send({ type: 'init-error', error }, () => process.exit(1)), true), false)) return
  process.exit(1)
})`)

export function processChannel(options: ResolvedNodeOptions, processOptions: ProcessesOptions): Channel {
  const env = workerEnv(options)
  if (options.workerDataJson !== undefined) env[WORKER_DATA_ENV] = options.workerDataJson
  const child: ChildProcess = fork(fileURLToPath(options.url), options.argv === undefined ? [] : [...options.argv], {
    env,
    execArgv: ['--import', CHILD_PRELOAD, ...(options.execArgv ?? process.execArgv)],
    serialization: processOptions.serialization ?? 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  let gone = false
  let exitListener: ((exit: ChannelExit) => void) | undefined
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      gone = true
      exitListener?.({ exitCode: code ?? undefined, signal: signal ?? undefined })
      resolve()
    })
  })
  return {
    transfers: false,
    post: (post) => {
      // Sending on a channel that just closed emits an error instead of throwing; the exit follows.
      if (child.connected) child.send(post as never)
    },
    onMessage: (listener) => void child.on('message', listener as (post: unknown) => void),
    onError: (listener) => void child.on('error', listener),
    onExit: (listener) => {
      exitListener = listener
    },
    kill: () => {
      if (!gone) child.kill('SIGKILL')
      return exitedPromise
    },
  }
}
