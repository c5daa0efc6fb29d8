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
// while the child was still in setup) exits too, rather than live on as an orphan.
// Inline, so no file of ours has to be found at run time.
const CHILD_PRELOAD =
  'data:text/javascript,' +
  encodeURIComponent(`process.once('disconnect', () => process.exit(0))
process.on('uncaughtException', (e) => {
  console.error(e)
  const error = e instanceof Error
    ? { __poolkitError: 1, name: e.name, message: e.message, stack: e.stack, code: typeof e.code === 'string' ? e.code : undefined }
    : { __poolkitValue: 1, value: String(e) }
  if (process.connected) process.send({ type: 'init-error', error }, () => process.exit(1))
  else process.exit(1)
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
