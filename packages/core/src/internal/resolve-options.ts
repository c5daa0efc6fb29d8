import type { Clock } from '../clock.js'
import { systemClock } from '../clock.js'
import type { Breaker } from '../contracts/breaker.js'
import type { DeadLetterSink } from '../contracts/dead-letter.js'
import type { Executor } from '../contracts/executor.js'
import type { PoolObserver } from '../contracts/observer.js'
import type { Scaler } from '../contracts/scaler.js'
import type { WorkerSelector } from '../contracts/selector.js'
import type { TaskInfo } from '../contracts/task.js'
import type { TaskQueue } from '../contracts/task-queue.js'
import { createDefaultQueue } from '../default-queue.js'
import { inProcess } from '../in-process-executor.js'
import type { BackoffOptions, PoolOptions, QueueFullPolicy } from '../pool-options.js'
import type { TaskRecord } from './task-record.js'
import * as check from './validate.js'

/** Observers grouped by hook, `undefined` where none has it, so an unused hook costs one check. */
export type Observers = { readonly [K in keyof PoolObserver]-?: PoolObserver[] | undefined }

const HOOKS: readonly (keyof PoolObserver)[] = ['onAttached', 'onSubmitted', 'onStarted', 'onSettled', 'onRejected', 'onRetried', 'onDeadLettered', 'onWorkerStarted', 'onWorkerExited']

/** Pool options checked, with their defaults filled in. */
export interface ResolvedOptions<I, O> {
  readonly executor: Executor<I, O>
  readonly name: string
  readonly clock: Clock
  readonly queue: TaskQueue<TaskRecord<I, O>>
  readonly maxQueue: number
  readonly onQueueFull: QueueFullPolicy
  readonly queueWaitTimeout: number
  readonly drainThreshold: number
  readonly taskTimeout: number
  readonly attempts: number
  readonly backoff: Required<BackoffOptions>
  readonly retryIf: ((error: unknown, task: TaskInfo) => boolean) | undefined
  readonly maxBreakerRetries: number
  readonly retryCircuitOpen: boolean
  readonly deadLetter: DeadLetterSink<I> | undefined
  readonly breaker: Breaker | undefined
  readonly selector: WorkerSelector | undefined
  readonly random: () => number
  readonly paused: boolean
  readonly observers: Observers
  readonly tasksPerWorker: number
  /** Of those, the tasks a worker runs at once (what `stats().concurrency` counts). */
  readonly runsPerWorker: number
  readonly scaler: Scaler | undefined
  readonly minWorkers: number
  readonly maxWorkers: number
  readonly initialWorkers: number
  readonly maxStartFailures: number
  /** Whether the queue is core's own default (no custom queue given). */
  readonly defaultQueue: boolean
}

/**
 * Checks every option when the pool is built. Messages name the option path and
 * the value: `options.maxQueue must be a non-negative integer or Infinity, got -1`.
 */
export function resolveOptions<I, O>(options: PoolOptions<I, O>): ResolvedOptions<I, O> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object, got ${check.describe(options)}`)
  }
  const o = options
  if (o.handler !== undefined && o.executor !== undefined) {
    throw new RangeError('options.handler and options.executor conflict: give one of them')
  }
  if (o.handler === undefined && o.executor === undefined) {
    throw new TypeError('options.handler or options.executor is required, got neither')
  }
  if (o.executor !== undefined) check.objectWith('options.executor', o.executor, ['spawn'])
  const executor = o.executor ?? inProcess(o.handler!)
  const name = check.optionalString('options.name', o.name) ?? 'pool'
  const clock = o.clock ?? systemClock
  if (o.clock !== undefined) check.clock('options.clock', o.clock)
  if (o.queue !== undefined) check.objectWith('options.queue', o.queue, ['push', 'shift', 'remove', 'clear'])
  const queue = (o.queue as TaskQueue<TaskRecord<I, O>> | undefined) ?? createDefaultQueue<TaskRecord<I, O>>()
  const maxQueue = o.maxQueue === undefined ? Infinity : check.nonNegativeIntegerOrInfinity('options.maxQueue', o.maxQueue)
  const onQueueFull = o.onQueueFull === undefined ? 'reject' : check.oneOf('options.onQueueFull', o.onQueueFull, ['reject', 'drop-oldest', 'wait'])
  if (onQueueFull === 'drop-oldest' && typeof queue.evict !== 'function') {
    throw new RangeError("options.onQueueFull 'drop-oldest' needs a queue with evict(); options.queue has none")
  }
  const queueWaitTimeout = o.queueWaitTimeout === undefined ? Infinity : check.duration('options.queueWaitTimeout', o.queueWaitTimeout)
  const drainThreshold = o.drainThreshold === undefined ? 1 : check.positiveInteger('options.drainThreshold', o.drainThreshold)
  // 0 means no timeout, as Infinity does.
  const taskTimeout = o.taskTimeout === undefined || o.taskTimeout === 0 ? Infinity : check.duration('options.taskTimeout', o.taskTimeout)
  // `undefined` means "not given"; anything else, null included, must be the right shape.
  const retry = check.optionsObject('options.retry', o.retry)
  const attempts = retry.attempts === undefined ? 1 : check.positiveInteger('options.retry.attempts', retry.attempts)
  const b = check.optionsObject('options.retry.backoff', retry.backoff)
  const backoff = {
    initialMs: b.initialMs === undefined ? 100 : check.duration('options.retry.backoff.initialMs', b.initialMs),
    maxMs: b.maxMs === undefined ? 30_000 : check.duration('options.retry.backoff.maxMs', b.maxMs),
    factor: b.factor === undefined ? 2 : check.numberAtLeast('options.retry.backoff.factor', b.factor, 1),
    jitter: b.jitter === undefined ? 0.5 : check.numberAtLeast('options.retry.backoff.jitter', b.jitter, 0),
  }
  if (backoff.jitter > 1) throw new RangeError(`options.retry.backoff.jitter must be between 0 and 1, got ${backoff.jitter}`)
  if (backoff.initialMs > backoff.maxMs) {
    throw new RangeError(`options.retry.backoff.initialMs (${backoff.initialMs}) must not exceed options.retry.backoff.maxMs (${backoff.maxMs})`)
  }
  if (retry.retryIf !== undefined) check.func('options.retry.retryIf', retry.retryIf)
  const retryIf = retry.retryIf
  const maxBreakerRetries = retry.maxBreakerRetries === undefined ? 10 : check.nonNegativeIntegerOrInfinity('options.retry.maxBreakerRetries', retry.maxBreakerRetries)
  const retryCircuitOpen = check.optionalBoolean('options.retry.retryCircuitOpen', retry.retryCircuitOpen) ?? false
  if (o.deadLetter !== undefined) check.objectWith('options.deadLetter', o.deadLetter, ['put'])
  const deadLetter = o.deadLetter
  if (o.breaker !== undefined) check.objectWith('options.breaker', o.breaker, ['admit', 'acquire', 'onSuccess', 'onFailure', 'onCancel'])
  const breaker = o.breaker
  if (o.selector !== undefined) {
    check.objectWith('options.selector', o.selector, ['select'])
    const selectorHooks = o.selector as unknown as Record<string, unknown>
    for (const hook of ['onWorkerStarted', 'onWorkerExited', 'onFinished', 'refuse'] as const) {
      if (selectorHooks[hook] !== undefined) check.func(`options.selector.${hook}`, selectorHooks[hook])
    }
    if (typeof queue.peek !== 'function') throw new RangeError('options.selector needs a queue with peek(); options.queue has none')
  }
  const selector = o.selector
  if (o.random !== undefined) check.func('options.random', o.random)
  const random = o.random ?? Math.random
  const paused = o.paused === undefined ? false : check.boolean('options.paused', o.paused)

  const observers = o.observers === undefined ? [] : o.observers
  if (!Array.isArray(observers)) throw new TypeError(`options.observers must be an array, got ${check.describe(observers)}`)
  observers.forEach((ob, i) => {
    if (typeof ob !== 'object' || ob === null) throw new TypeError(`options.observers[${i}] must be an object, got ${check.describe(ob)}`)
  })
  const grouped: Partial<Record<keyof PoolObserver, PoolObserver[] | undefined>> = {}
  for (const hook of HOOKS) {
    const list = observers.filter((ob: PoolObserver) => typeof ob[hook] === 'function')
    grouped[hook] = list.length > 0 ? list : undefined
  }

  const tasksPerWorker = executor.tasksPerWorker === undefined ? 1 : check.positiveInteger('options.executor.tasksPerWorker', executor.tasksPerWorker)
  const runsPerWorker = executor.runsPerWorker === undefined ? tasksPerWorker : check.positiveInteger('options.executor.runsPerWorker', executor.runsPerWorker)
  if (runsPerWorker > tasksPerWorker) {
    throw new RangeError(`options.executor.runsPerWorker (${runsPerWorker}) must not exceed options.executor.tasksPerWorker (${tasksPerWorker})`)
  }
  const concurrency =
    o.concurrency === undefined
      ? atMostMaxWorkers('options.executor.defaultConcurrency', check.positiveInteger('options.executor.defaultConcurrency', executor.defaultConcurrency ?? 1))
      : atMostMaxWorkers('options.concurrency', check.positiveInteger('options.concurrency', o.concurrency))

  // Without a scaler the size is fixed at `concurrency` (resize() still moves it).
  let scaler: Scaler | undefined
  let minWorkers = 1
  let maxWorkers = Infinity
  let initialWorkers = concurrency
  const chosenScaler = o.scaler !== undefined ? o.scaler : executor.scaler
  if (chosenScaler !== undefined) {
    check.objectWith(o.scaler !== undefined ? 'options.scaler' : 'options.executor.scaler', chosenScaler, ['desired'])
    scaler = chosenScaler
    minWorkers = scaler.min === undefined ? 1 : check.nonNegativeInteger('options.scaler.min', scaler.min)
    minWorkers = atMostMaxWorkers('options.scaler.min', minWorkers)
    maxWorkers = scaler.max === undefined ? Math.max(concurrency, minWorkers) : atMostMaxWorkers('options.scaler.max', check.positiveInteger('options.scaler.max', scaler.max))
    if (minWorkers > maxWorkers) {
      throw new RangeError(`options.scaler.min (${minWorkers}) must not exceed options.scaler.max (${maxWorkers})`)
    }
    if (scaler.intervalMs !== undefined) check.duration('options.scaler.intervalMs', scaler.intervalMs)
    // A scaled pool starts at its minimum (or at `concurrency` when given) and grows on demand.
    initialWorkers = Math.max(minWorkers, Math.min(maxWorkers, o.concurrency ?? minWorkers))
  }

  return {
    executor,
    name,
    clock,
    queue,
    maxQueue,
    onQueueFull,
    queueWaitTimeout,
    drainThreshold,
    taskTimeout,
    attempts,
    backoff,
    retryIf,
    maxBreakerRetries,
    retryCircuitOpen,
    deadLetter,
    breaker,
    selector,
    random,
    paused,
    observers: grouped as Observers,
    defaultQueue: o.queue === undefined,
    maxStartFailures: o.maxStartFailures === undefined ? 5 : o.maxStartFailures === Infinity ? Infinity : check.positiveInteger('options.maxStartFailures', o.maxStartFailures),
    tasksPerWorker,
    runsPerWorker,
    scaler,
    minWorkers,
    maxWorkers,
    initialWorkers,
  }
}

/**
 * The most workers (slots, for in-process handlers) a pool may have. Each one is
 * made up front, so a mistaken 1e9 would hang the process instead of failing.
 */
export const MAX_WORKERS = 2 ** 20

/** `value` if it is at most {@link MAX_WORKERS}; a RangeError naming `path` otherwise. */
export function atMostMaxWorkers(path: string, value: number): number {
  if (value > MAX_WORKERS) throw new RangeError(`${path} must be at most ${MAX_WORKERS} (each worker or slot is made up front), got ${value}`)
  return value
}
