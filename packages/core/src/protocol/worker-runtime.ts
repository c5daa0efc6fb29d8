import type { TransferList } from '../contracts/task.js'
import { describeThrown } from '../internal/describe.js'
import { describeValue } from '../validate.js'
import { RingBuffer } from '../internal/ring-buffer.js'
import type { MainMessage, MainPost, RunMessage, WorkerMessage, WorkerPost } from './messages.js'
import { PROTOCOL_VERSION, RESULT_FRAME, RESULT_HEADER, RESULT_SLOTS, RUN_FRAME, RUN_SLOTS } from './messages.js'
import { deserializeError, serializeError } from './serialize-error.js'
import type { SerializedError, SerializedValue } from './serialize-error.js'

/** `Name: message` of a serialised error, or the text of a serialised value, for a message. */
function describeSerialized(data: SerializedError | SerializedValue): string {
  return (data as SerializedValue).__poolkitValue === 1 ? describeThrown((data as SerializedValue).value) : `${(data as SerializedError).name}: ${(data as SerializedError).message}`
}

/**
 * What a task function receives in a worker next to its input.
 * @public
 */
export interface WorkerTaskContext {
  /** The task's id in its pool. */
  readonly id: number
  /** 1 for the first try, 2 for the first retry, and so on. */
  readonly attempt: number
  /** The task's key, if any. */
  readonly key: string | undefined
  /**
   * Aborts when the main side aborts the task (cancelled or timed out). Only
   * functions marked with {@link cooperative} are left running to honour it; the
   * others are stopped by terminating the worker. Made on first read.
   */
  readonly signal: AbortSignal
}

/**
 * A function a worker exposes to the pool.
 * @public
 */
export type TaskFunction = (input: any, context: WorkerTaskContext) => unknown

/**
 * The functions a worker exposes, by name. A pool calls `default` (or the only
 * function) when a task names none.
 * @public
 */
export type TaskFunctions = Readonly<Record<string, TaskFunction>>

const COOPERATIVE = Symbol.for('poolkit.cooperative')
const TRANSFER = Symbol.for('poolkit.transfer')

/**
 * Marks a task function as handling cancellation itself: when its task is
 * aborted it sees `context.signal` abort and settles, and its worker keeps
 * running. Unmarked functions are stopped by terminating their worker.
 * @public
 */
export function cooperative<F extends TaskFunction>(fn: F): F {
  Object.defineProperty(fn, COOPERATIVE, { value: true })
  return fn
}

/**
 * A task function's result with objects to move, not copy, back to the main side.
 * @public
 */
export interface TransferResult<T> {
  readonly value: T
  readonly transfer: TransferList
}

/**
 * Returns `value` from a task function, moving the objects in `list` (for
 * example the `ArrayBuffer` of a large result) instead of copying them.
 * @public
 */
export function transfer<T>(value: T, list: TransferList): TransferResult<T> {
  return { [TRANSFER]: true, value, transfer: list } as TransferResult<T>
}

/**
 * A worker's own measurements, where its runtime has them.
 * @public
 */
export interface WorkerMeasurements {
  readonly heapUsed?: number | undefined
  readonly eventLoopUtilization?: number | undefined
}

/**
 * The runtime-specific link between a worker and its main side: Node's
 * `parentPort` or `process`, a Web Worker's global scope.
 * @public
 */
export interface WorkerEndpoint {
  post(message: WorkerPost, transfer?: TransferList): void
  /** Subscribes to posts from the main side. */
  listen(listener: (post: MainPost) => void): void
  /** Leaves the worker (unsubscribes, lets the runtime exit). */
  close(): void
  /** Heap and event-loop utilization, where the runtime can tell. */
  measure?(): WorkerMeasurements
  /**
   * Registers `flush`, to be called synchronously when the worker is about to
   * exit (Node's `process.on('exit')`): results already computed still leave,
   * so a task that ends the worker (`process.exit`, a fatal error) takes only
   * itself down, and the main side knows which task it was.
   */
  onExit?(flush: () => void): void
}

/**
 * What a worker's `setup` may return: the capabilities the worker has (for
 * example `['gpu']`), which the pool's `WorkerInfo.capabilities` then shows
 * and a selector such as `capabilities()` from `@poolkit/routing` routes by.
 * @public
 */
export type WorkerSetupResult = void | undefined | { readonly capabilities?: readonly string[] | undefined }

/**
 * Options of {@link runWorker}.
 * @public
 */
export interface WorkerRuntimeOptions {
  /**
   * Runs once before the worker reports ready; a throw is reported as an init
   * error. It may return `{ capabilities }` (see {@link WorkerSetupResult}).
   */
  setup?: () => WorkerSetupResult | Promise<WorkerSetupResult>
  /** Runs once when the worker is closed, after its tasks finished. */
  teardown?: () => void | Promise<void>
}

/** Whether a result came from {@link transfer}; false for a proxy whose get trap throws. */
function isTransferResult(value: unknown): value is TransferResult<unknown> {
  if (typeof value !== 'object' || value === null) return false
  try {
    return (value as Record<symbol, unknown>)[TRANSFER] === true
  } catch {
    return false
  }
}

/** The context of one task; the AbortController is made only if the function reads the signal. */
class Context implements WorkerTaskContext {
  private controller: AbortController | undefined = undefined
  private reason: unknown = undefined
  private aborted = false

  constructor(
    readonly id: number,
    readonly attempt: number,
    readonly key: string | undefined,
    readonly cooperative: boolean,
  ) {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController()
      if (this.aborted) this.controller.abort(this.reason)
    }
    return this.controller.signal
  }

  abort(reason: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    this.controller?.abort(reason)
  }
}

/**
 * The worker side of the protocol, written once for every runtime: runs
 * `setup`, reports ready, runs each task it is sent and posts the result,
 * aborts a task's signal when asked, answers heartbeats, and runs `teardown` on
 * close. Results that are ready in the same tick travel in one post. Adapters
 * call it from their `expose()`.
 * @public
 */
export function runWorker(functions: TaskFunctions, endpoint: WorkerEndpoint, options: WorkerRuntimeOptions = {}): void {
  const names = Object.keys(functions)
  for (const name of names) {
    if (typeof functions[name] !== 'function') {
      throw new TypeError(`expose(): functions.${name} must be a function, got ${typeof functions[name]}`)
    }
  }
  if (names.length === 0) throw new TypeError('expose() needs at least one task function')
  const fallback = functions.default ?? (names.length === 1 ? functions[names[0]!] : undefined)
  const isCooperative = (fn: TaskFunction): boolean => (fn as unknown as Record<symbol, unknown>)[COOPERATIVE] === true
  // Tasks whose function returned a promise and has not settled. Synchronous
  // tasks finish before the next message can arrive, so they are never here.
  const pending = new Map<number, Context>()
  // Tasks received and not started: the main side sends a few ahead so the
  // worker never waits for a round trip; at most `concurrency` run at once.
  const inbox = new RingBuffer<RunMessage>()
  let concurrency = 1
  let reportHeap = false
  let flushEvery = Infinity
  let running = 0
  let closing = false

  // Results of one tick go out in one post, a flat ResultFrame; control
  // messages (abort acks, pongs) follow it in a post of their own. Each result
  // keeps its transfer list and the run it answers, in case the frame must be split.
  let frame: unknown[] = [RESULT_FRAME, undefined, 0, undefined]
  let resultCount = 0
  // Milliseconds the tasks in `frame` took, each from its start to its end.
  let elapsed = 0
  let resultLists: (TransferList | undefined)[] = []
  let resultRuns: RunMessage[] = []
  let outTransfer: object[] | undefined
  let controls: WorkerMessage[] = []
  let flushQueued = false
  const flush = (): void => {
    flushQueued = false
    if (resultCount > 0) {
      const results = frame
      const lists = resultLists
      const runs = resultRuns
      const list = outTransfer
      results[2] = elapsed
      frame = [RESULT_FRAME, undefined, 0, undefined]
      resultCount = 0
      elapsed = 0
      resultLists = []
      resultRuns = []
      outTransfer = undefined
      if (reportHeap) results[1] = endpoint.measure?.().heapUsed
      // When it leaves, on the clock every thread and process of the machine shares:
      // how long the main side takes to read it tells how much work to send ahead.
      results[3] = performance.timeOrigin + performance.now()
      try {
        if (list === undefined) endpoint.post(results)
        else endpoint.post(results, list)
      } catch {
        // Something in the frame cannot be cloned: send one by one, so only that task fails.
        for (let i = 0; i < runs.length; i++) {
          const at = RESULT_HEADER + i * RESULT_SLOTS
          postAlone(results.slice(at, at + RESULT_SLOTS), results[1], i === 0 ? results[2] : 0, lists[i], runs[i]!)
        }
      }
    }
    if (controls.length > 0) {
      const messages = controls
      controls = []
      endpoint.post(messages.length === 1 ? messages[0]! : messages)
    }
    if (closing && running === 0) finishClose()
  }
  const postAlone = (result: unknown[], heapUsed: unknown, took: unknown, list: TransferList | undefined, run: RunMessage): void => {
    try {
      endpoint.post([RESULT_FRAME, heapUsed, took, undefined, ...result], list)
    } catch (error) {
      // What the clone threw may be the user's own value (a getter that throws): described, never read as is.
      const task = ` ${run.task ?? run.id}${run.name === undefined ? '' : ` (${run.name})`}`
      const failed = result[1] === false ? (result[2] as SerializedError | SerializedValue) : undefined
      const why = new TypeError(
        failed === undefined
          ? `The result of task${task} could not be sent back from the worker: ${describeThrown(error)}`
          : `The error thrown by task${task} could not be sent back from the worker: ${describeThrown(error)}; it was ${describeSerialized(failed)}`,
      )
      endpoint.post([RESULT_FRAME, heapUsed, took, undefined, run.id, false, serializeError(why)])
    }
  }
  const queueFlush = (): void => {
    if (!flushQueued) {
      flushQueued = true
      queueMicrotask(flush)
    }
  }
  const sendControl = (message: WorkerMessage): void => {
    controls.push(message)
    queueFlush()
  }
  const sendResult = (run: RunMessage, ok: boolean, value: unknown, list: TransferList | undefined): void => {
    frame.push(run.id, ok, value)
    resultCount++
    resultLists.push(list)
    resultRuns.push(run)
    if (list !== undefined && list.length > 0) (outTransfer ??= []).push(...list)
    queueFlush()
  }

  const settle = (run: RunMessage, ok: boolean, value: unknown): void => {
    if (!ok) sendResult(run, false, serializeError(value), undefined)
    else if (isTransferResult(value)) sendResult(run, true, value.value, value.transfer)
    else sendResult(run, true, value, undefined)
  }

  /** Starts what the inbox holds while fewer than `concurrency` tasks run. */
  const pump = (): void => {
    while (running < concurrency && inbox.length > 0) {
      start(inbox.shift()!)
      // Half a window done: let the results go, so the next tasks are on their way
      // while this worker runs the rest (it never waits a whole round trip).
      if (resultCount >= flushEvery) flush()
    }
  }

  const start = (message: RunMessage): void => {
    const { id, name } = message
    const fn = name === undefined ? fallback : Object.hasOwn(functions, name) ? functions[name] : undefined
    if (fn === undefined) {
      const known = names.join(', ')
      settle(
        message,
        false,
        new TypeError(name === undefined ? `The worker exposes several functions (${known}); name one in the run options` : `The worker exposes no function "${name}" (it has: ${known})`),
      )
      return
    }
    const context = new Context(message.task ?? id, message.attempt, message.key, isCooperative(fn))
    const startedAt = performance.now()
    let result: unknown
    let then: unknown
    try {
      result = fn(message.input, context)
      // Read once and guarded, as `await` does: a proxy's get trap may throw, which fails the task.
      then = typeof result === 'object' || typeof result === 'function' ? (result as { then?: unknown } | null)?.then : undefined
    } catch (error) {
      elapsed += performance.now() - startedAt
      settle(message, false, error)
      return
    }
    if (typeof then !== 'function') {
      elapsed += performance.now() - startedAt
      settle(message, true, result)
      return
    }
    running++
    pending.set(id, context)
    let finished = false
    // Once, whatever a thenable does: calls both callbacks, or one and then throws.
    const done = (ok: boolean, value: unknown): void => {
      if (finished) return
      finished = true
      elapsed += performance.now() - startedAt
      pending.delete(id)
      running--
      settle(message, ok, value)
      pump()
    }
    try {
      ;(then as PromiseLike<unknown>['then']).call(
        result,
        (value) => done(true, value),
        (error: unknown) => done(false, error),
      )
    } catch (error) {
      done(false, error)
    }
  }

  const abort = (id: number, reason: unknown): void => {
    const context = pending.get(id)
    if (context === undefined) {
      const waiting = inbox.find((m) => m.id === id)
      if (waiting !== undefined) {
        inbox.remove(waiting)
        sendControl({ type: 'abort-ack', id, state: 'dropped' })
        return
      }
      // Finished already (its result went out first) or never here.
      sendControl({ type: 'abort-ack', id, state: 'done' })
      return
    }
    context.abort(reason)
    if (!context.cooperative) sendControl({ type: 'abort-ack', id, state: 'running' })
  }

  let closed = false
  const finishClose = (): void => {
    // Once: a second close message, or a flush after it, must not run teardown again.
    if (closed) return
    closed = true
    const done = (): void => endpoint.close()
    if (options.teardown === undefined) return done()
    Promise.resolve()
      .then(options.teardown)
      // A teardown that fails must not keep the worker alive.
      .then(done, done)
  }

  const handle = (message: MainMessage): void => {
    switch (message.type) {
      case 'configure':
        concurrency = message.concurrency
        reportHeap = message.reportHeap
        flushEvery = message.flushEvery ?? Infinity
        pump()
        break
      case 'run':
        if (closing) break
        inbox.push(message)
        pump()
        break
      case 'abort':
        abort(message.id, deserializeError(message.reason))
        break
      case 'ping': {
        const m = endpoint.measure?.()
        sendControl({ type: 'pong', seq: message.seq, eventLoopUtilization: m?.eventLoopUtilization, heapUsed: m?.heapUsed })
        break
      }
      case 'close':
        closing = true
        // Tasks not started are dropped: the main side closes only once nothing runs.
        inbox.drain()
        if (running === 0 && !flushQueued) finishClose()
        break
    }
  }

  const onPost = (post: MainPost): void => {
    if (!Array.isArray(post)) handle(post as MainMessage)
    else if (post[0] !== RUN_FRAME) for (const message of post as readonly MainMessage[]) handle(message)
    else if (!closing) {
      for (let i = 1; i + RUN_SLOTS <= post.length; i += RUN_SLOTS) {
        // `?? undefined`: a JSON channel (child processes with serialization 'json') turns undefined into null.
        inbox.push({
          type: 'run',
          id: post[i] as number,
          task: (post[i + 1] as number | null) ?? undefined,
          name: (post[i + 2] as string | null) ?? undefined,
          input: post[i + 3],
          attempt: post[i + 4] as number,
          key: (post[i + 5] as string | null) ?? undefined,
        })
      }
      pump()
    }
  }

  const ready = (capabilities?: string[]): void => {
    endpoint.onExit?.(() => {
      try {
        flush()
      } catch {
        // Exiting anyway.
      }
    })
    endpoint.listen(onPost)
    endpoint.post({
      type: 'ready',
      protocol: PROTOCOL_VERSION,
      functions: names,
      cooperative: names.filter((n) => isCooperative(functions[n]!)),
      ...(capabilities === undefined ? {} : { capabilities }),
    })
  }

  if (options.setup === undefined) {
    ready()
    return
  }
  Promise.resolve()
    .then(options.setup)
    .then(capabilitiesFrom)
    .then(ready, (error: unknown) => {
      try {
        endpoint.post({ type: 'init-error', error: serializeError(error) })
      } catch (why) {
        // The serialised error could not be posted (a channel that cannot carry one of its fields): say so in plain strings.
        endpoint.post({
          type: 'init-error',
          error: serializeError(new Error(`setup() failed, and its error could not be sent from the worker: ${describeThrown(why)}; it was ${describeThrown(error)}`)),
        })
      } finally {
        endpoint.close()
      }
    })
}

/** The capabilities a setup returned, checked: a setup that returns something else fails the worker's start, naming it. */
function capabilitiesFrom(result: unknown): string[] | undefined {
  if (result === undefined || result === null || typeof result !== 'object') return undefined
  const capabilities = (result as { capabilities?: unknown }).capabilities
  if (capabilities === undefined) return undefined
  if (!Array.isArray(capabilities) || !capabilities.every((c) => typeof c === 'string' && c !== '')) {
    throw new TypeError(`setup() returned capabilities ${describeValue(capabilities)}; they must be an array of non-empty strings`)
  }
  return [...(capabilities as string[])]
}
