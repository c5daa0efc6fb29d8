import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import type { EventLoopUtilization } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { Channel, ChannelExit } from '@poolkit/core/remote'
import type { ProcessesOptions, ThreadsOptions } from '../options.js'
import { isWorkerDataRequest, WORKER_DATA_REPLY } from './worker-data.js'
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

// Loaded before the child's own file (`--import`), in the child's main thread only
// (a thread the child starts is no pool worker of ours).
// - It fetches the workerData: it asks for it over the IPC channel once its own
//   listener is in place (a message sent before would be lost), and top-level
//   await holds the child's own file until the answer came, so `getWorkerData()`
//   works at its top level. The listener is removed at once: a listener on
//   'message' keeps the channel, and so the child, alive, and a file that never
//   calls expose() must still end.
// - It takes its own `--import` out of `process.execArgv`, so a process the
//   worker forks (fork() passes execArgv on) does not run it and wait for a
//   workerData that never comes.
// - A file that fails to load (missing, a syntax error, a throw at top level) or
//   a fatal error later is sent to the main side as an init-error, so the pool
//   can say why the worker died; then it exits as Node would have.
// - A child whose channel closes (its parent exited or crashed, even while the
//   child was still in setup or waiting for its workerData) exits too, rather
//   than live on as an orphan: an unref'd check every 250 ms, since a
//   'disconnect' listener would hold the channel open and keep alive a child
//   that should end (one that never calls expose()).
// Inline, so no file of ours has to be found at run time.
// What was thrown may be hostile (getters or proxy traps that throw, a toString
// that throws): every read is guarded and the message holds only strings, so the
// handler itself never throws (a throw here would end the child with no word why).
// Written out whole (no value built into it), so it is plainly no code from elsewhere;
// the message types and the global's name are worker-data.ts's, checked by a test.
export const CHILD_PRELOAD =
  'data:text/javascript,' +
  encodeURIComponent(`/*poolkit-child-preload*/import { isMainThread } from 'node:worker_threads'
if (isMainThread && typeof process.send === 'function') {
const argv = process.execArgv
for (let i = argv.length - 2; i >= 0; i--) if (argv[i] === '--import' && argv[i + 1].startsWith('data:') && argv[i + 1].includes('poolkit-child-preload')) argv.splice(i, 2)
setInterval(() => process.connected || process.exit(0), 250).unref()
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
})
await new Promise((resolve) => {
  const take = (message) => {
    if (message === null || typeof message !== 'object' || message.type !== 'poolkit:worker-data') return
    process.off('message', take)
    Object.defineProperty(globalThis, Symbol.for('poolkit.workerData'), { value: { value: message.value } })
    resolve()
  }
  process.on('message', take)
  process.send({ type: 'poolkit:worker-data?' })
})
}`)

export function processChannel(options: ResolvedNodeOptions, processOptions: ProcessesOptions): Channel {
  const child: ChildProcess = fork(fileURLToPath(options.url), options.argv === undefined ? [] : [...options.argv], {
    env: workerEnv(options),
    execArgv: ['--import', CHILD_PRELOAD, ...(options.execArgv ?? process.execArgv)],
    serialization: processOptions.serialization ?? 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  let gone = false
  let exitListener: ((exit: ChannelExit) => void) | undefined
  let messageListener: ((post: unknown) => void) | undefined
  let answered = false
  child.on('message', (post: unknown) => {
    if (!isWorkerDataRequest(post)) messageListener?.(post)
    else if (!answered) {
      answered = true
      sendWorkerData(child, options.workerData)
    }
  })
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
    onMessage: (listener) => {
      messageListener = listener as (post: unknown) => void
    },
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

/**
 * Answers a child's request for its workerData. The options were checked when
 * the executor was made; a value changed since into one that cannot be sent
 * fails this start with the reason, rather than leave the child waiting.
 */
function sendWorkerData(child: ChildProcess, value: unknown): void {
  if (!child.connected) return
  try {
    child.send({ type: WORKER_DATA_REPLY, value })
  } catch (error) {
    child.emit('error', new TypeError(`options.workerData could not be sent to the child process: ${(error as Error)?.message}`, { cause: error }))
    child.kill('SIGKILL')
  }
}
