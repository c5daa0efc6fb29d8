import type { Channel, ChannelExit } from '@poolkit/core/remote'
import { CLOSED_SIGNAL } from './closed.js'
import type { ResolvedWebOptions } from './validate.js'

/** An `error` event as an Error: an uncaught error has a message and a place; a failed load has neither. */
function errorOf(event: Event, label: string): Error {
  const e = event as Partial<ErrorEvent>
  if (e.error instanceof Error) return e.error
  if (typeof e.message === 'string' && e.message !== '') {
    const where = e.filename ? ` (${e.filename}:${e.lineno ?? 0}:${e.colno ?? 0})` : ''
    return new Error(`${e.message}${where}`)
  }
  return new Error(`The Web Worker ${label} failed to load (a network error, a syntax error, or an error thrown at its top level)`)
}

/**
 * One Web Worker as a core `Channel`. The platform tells the page nothing when
 * a worker dies, so the channel decides: an `error` event (a failed load, an
 * uncaught error) is reported, then the worker is terminated and reported as
 * exited with code 1; the pool fails its running task with `WorkerExitError`
 * and starts a replacement.
 */
export function webWorkerChannel(options: ResolvedWebOptions): Channel {
  // A factory that throws or returns something else fails this start; the pool retries.
  const worker = options.create()
  let exitListener: ((exit: ChannelExit) => void) | undefined
  let errorListener: ((error: unknown) => void) | undefined
  let exited: Promise<void> | undefined
  // Terminates once and reports the exit on a later microtask, as a runtime's own exit event would come.
  const end = (exit: ChannelExit): Promise<void> =>
    (exited ??= Promise.resolve().then(() => {
      worker.terminate()
      worker.onmessage = null
      worker.onerror = null
      worker.onmessageerror = null
      exitListener?.(exit)
    }))
  let messageListener: ((post: never) => void) | undefined
  worker.onmessage = (event: MessageEvent) => {
    if (event.data === CLOSED_SIGNAL) {
      void end({ exitCode: 0 })
      return
    }
    messageListener?.(event.data as never)
  }
  worker.onerror = (event: Event) => {
    // Handled here: keeps it from also being reported as the page's own uncaught error.
    event.preventDefault()
    errorListener?.(errorOf(event, options.label))
    void end({ exitCode: 1 })
  }
  worker.onmessageerror = () => {
    // A message that could not be deserialised on this side: reported like Node's 'messageerror'.
    errorListener?.(new Error(`A message from Web Worker ${options.label} could not be deserialised`))
  }
  return {
    transfers: true,
    post: (post, transfer) => (transfer === undefined ? worker.postMessage(post) : worker.postMessage(post, transfer as Transferable[])),
    onMessage: (listener) => {
      messageListener = listener as (post: never) => void
    },
    onError: (listener) => {
      errorListener = listener
    },
    onExit: (listener) => {
      exitListener = listener
    },
    kill: () => end({ exitCode: 1 }),
  }
}
