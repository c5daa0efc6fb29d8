import { systemClock } from '@poolkit/core'
import type { Clock, KeyFunction, MetricsCollector, PoolObserver, PoolView, RejectReason, TaskInfo, TaskOutcome, WorkerExitReason } from '@poolkit/core'
import { checkCollector, collectAll } from './collected.js'
import { createHistogram } from './histogram.js'
import type { Histogram, HistogramOptions } from './histogram.js'
import { EventWindow } from './internal/event-window.js'
import { describe } from './internal/validate.js'
import { formatPrometheus } from './prometheus.js'
import type { PrometheusOptions } from './prometheus.js'
import type { KeyMetrics, LatencySummary, MetricsSnapshot, PoolMetrics, RejectedCounts, TaskCounts } from './snapshot.js'

/**
 * Options of {@link createMetrics}.
 * @public
 */
export interface MetricsOptions {
  /**
   * The clock the pools use. Task times come from the pools; the metrics read
   * this clock only for events that carry no time (a task cancelled before it
   * ran, a rejection) and for rates, so give the pools' clock when it is not
   * the system clock (a virtual clock in tests).
   * @defaultValue core's `systemClock`
   */
  clock?: Clock
  /**
   * The recent window of the latency summaries (`wait.recent`, `run.recent`),
   * in ms: they cover between one and two windows of data.
   * @defaultValue 60000
   */
  windowMs?: number
  /**
   * Which key a task's per-key series is kept under (`keys` in the snapshot,
   * the `key` label in Prometheus and OpenTelemetry): for example
   * `(task) => task.labels?.provider` keeps series per provider while the
   * task's own `key` names its tenant for a fair queue. `undefined` leaves the
   * task out of the per-key series (it still counts in its pool's). Called
   * once per task, as it ends (settled or rejected). It must return a string
   * or `undefined`: anything else, or a throw, leaves the task out of the
   * per-key series (its pool's counts keep it) and goes to the pool's
   * `'error'` event, as any observer's throw does (another value as a
   * `TypeError` naming `options.key`).
   * @defaultValue the task's `key`
   */
  key?: KeyFunction | undefined
  /**
   * The most task keys tracked per pool. A task whose key is not tracked and
   * would exceed it counts in `untrackedKeyTasks`; a key idle for `keyIdleMs`
   * makes room for a new one (the least recently active key goes first; finding
   * it costs the same whatever the number of keys). `0` tracks no keys.
   * @defaultValue 100
   */
  maxKeys?: number
  /**
   * A tracked key with no task for this long (ms) may be replaced by a new one.
   * @defaultValue 600000 (10 minutes)
   */
  keyIdleMs?: number
  /**
   * How long (ms) the series of a closed pool stay after the metrics first see
   * it closed, so that scrapes read its final counts; then they are dropped
   * (from snapshots, Prometheus, the bridges and `histogram()`), and the pool
   * with them. The metrics see a close when they are read (`snapshot()`,
   * `toPrometheus()`, a scrape), when another pool is attached, and when the
   * pool's workers exit at its close; no timer is involved. `0` drops a pool at
   * the first of those after its close (it may then never be exported as
   * closed); `Infinity` keeps closed pools until `maxClosedPools` or
   * {@link Metrics.removePool} removes them.
   * @defaultValue 60000 (a minute: one scrape at Prometheus' default interval)
   */
  closedPoolRetentionMs?: number
  /**
   * The most closed pools whose series are kept during their
   * `closedPoolRetentionMs`: past it, the pool seen closed first is dropped at
   * once. It bounds memory when pools are made and closed faster than the
   * retention lets them go (about 200 KiB each with the default `histogram`).
   * `Infinity` for no cap.
   * @defaultValue 100
   */
  maxClosedPools?: number
  /** The layout of the wait and run histograms. @defaultValue 1% relative error, 1 µs to 1 hour */
  histogram?: HistogramOptions
  /**
   * The layout of each key's histograms: coarser by default, as there may be
   * `maxKeys` of them.
   * @defaultValue 5% relative error, 1 µs to 1 hour
   */
  keyHistogram?: HistogramOptions
  /**
   * The upper bounds (ms) of the Prometheus histogram buckets, ascending;
   * `+Inf` is added.
   * @defaultValue 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000
   */
  buckets?: readonly number[]
  /**
   * Measurements from outside the pools to export with theirs: a
   * `@poolkit/resource` pool, a `@poolkit/bullmq` queue, anything that
   * implements core's `MetricsCollector`. Each is read on every `snapshot()`
   * and scrape; {@link Metrics.addCollector} adds more later.
   * @defaultValue none
   */
  collectors?: readonly MetricsCollector[]
}

/**
 * Metrics for one or more pools: attach it with
 * `createPool({ observers: [metrics] })`; several pools can share it, each
 * labelled by its name.
 * @public
 */
export interface Metrics extends PoolObserver {
  /** Everything measured, as plain JSON (see {@link MetricsSnapshot}). */
  snapshot(): MetricsSnapshot
  /** The snapshot in the Prometheus text exposition format (see `formatPrometheus`). */
  toPrometheus(options?: PrometheusOptions): string
  /**
   * A pool's wait or run histogram since creation or the last reset, or all
   * pools' merged when `pool` is left out: a copy, to read any quantile or to
   * merge further.
   */
  histogram(kind: 'wait' | 'run', pool?: string): Histogram
  /**
   * Zeroes every counter, histogram, rate and key series of the pools still
   * open (gauges are read live), and drops the series of closed pools at once,
   * retention or not: zeroed, they would only ever read zero.
   */
  reset(): void
  /**
   * Drops everything kept for the pool of this name now, without waiting for
   * `closedPoolRetentionMs`: meant for a pool that is closed or no longer used.
   * Should a pool of this name still send events, they start new series from
   * zero, without the pool's gauges (queue depth, workers), which come from the
   * view it gave when it was attached.
   * @param name - the pool's name, as in `snapshot().pools[i].pool`.
   * @returns whether there was a pool of that name.
   */
  removePool(name: string): boolean
  /**
   * Adds a collector whose families appear in `snapshot().collected` and in the
   * Prometheus output as `<prefix>_<name>`, next to the pools'. Families of the
   * same name from several collectors are merged (their labels tell them
   * apart).
   * @returns a function that removes it again
   * @example
   * ```ts
   * const clients = createResourcePool({ create, destroy, max: 8, name: 'http' })
   * const remove = metrics.addCollector(clients)
   * ```
   */
  addCollector(collector: MetricsCollector): () => void
}

/** Default Prometheus bucket bounds, ms. */
const DEFAULT_BUCKETS: readonly number[] = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000]
/** The window of the utilization gauge, ms. */
const UTILIZATION_WINDOW = 10_000
const RATE_WINDOWS = { '1s': 1_000, '10s': 10_000, '60s': 60_000 } as const

/** The series of one key. */
class KeySeries {
  completed = 0
  failed = 0
  rejected = 0
  cancelled = 0
  timedOut = 0
  lastActive: number
  /** The next less recently active key of the pool (see `Series.oldestKey`). */
  older: KeySeries | undefined = undefined
  /** The next more recently active key of the pool. */
  newer: KeySeries | undefined = undefined
  readonly wait: Histogram
  readonly run: Histogram

  constructor(
    readonly key: string,
    now: number,
    layout: HistogramOptions,
  ) {
    this.lastActive = now
    this.wait = createHistogram(layout)
    this.run = createHistogram(layout)
  }

  toJSON(): KeyMetrics {
    return {
      key: this.key,
      completed: this.completed,
      failed: this.failed,
      rejected: this.rejected,
      cancelled: this.cancelled,
      timedOut: this.timedOut,
      wait: this.wait.summary(),
      run: this.run.summary(),
    }
  }
}

/**
 * A histogram since reset, and marks of it at the start of the current and the
 * previous window: the recent values are the total minus the older mark, so a
 * value is recorded once (the marks are copied once per window).
 */
class Latency {
  readonly total: Histogram
  /** The total when the previous window began. */
  private previousMark: Histogram
  /** The total when the current window began. */
  private currentMark: Histogram
  private windowStart: number

  constructor(
    layout: HistogramOptions,
    private readonly windowMs: number,
    now: number,
  ) {
    this.total = createHistogram(layout)
    this.previousMark = createHistogram(layout)
    this.currentMark = createHistogram(layout)
    this.windowStart = now
  }

  record(value: number, at: number): void {
    if (at - this.windowStart >= this.windowMs) this.rotate(at)
    this.total.record(value)
  }

  /** The last one to two windows. */
  recent(now: number): LatencySummary {
    if (now - this.windowStart >= this.windowMs) this.rotate(now)
    const recent = this.total.clone()
    recent.subtract(this.previousMark)
    return recent.summary()
  }

  reset(now: number): void {
    this.total.reset()
    this.previousMark.reset()
    this.currentMark.reset()
    this.windowStart = now
  }

  private rotate(now: number): void {
    // Two windows or more without a value: nothing before now is recent.
    const idle = now - this.windowStart >= 2 * this.windowMs
    this.previousMark = idle ? this.total.clone() : this.currentMark
    this.currentMark = this.total.clone()
    this.windowStart = now
  }
}

const ZERO_REJECTED: RejectedCounts = { queueFull: 0, dropped: 0, closed: 0, circuitOpen: 0, noWorkers: 0, unplaceable: 0 }

/** Takes `k` out of its pool's list of keys by activity. */
function unlinkKey(s: Series, k: KeySeries): void {
  if (k.older === undefined) s.oldestKey = k.newer
  else k.older.newer = k.newer
  if (k.newer === undefined) s.newestKey = k.older
  else k.newer.older = k.older
  k.older = k.newer = undefined
}

/** Puts `k` at the newest end of its pool's list of keys by activity. */
function appendKey(s: Series, k: KeySeries): void {
  k.older = s.newestKey
  k.newer = undefined
  if (s.newestKey === undefined) s.oldestKey = k
  else s.newestKey.newer = k
  s.newestKey = k
}

/** Everything kept for one pool. */
class Series {
  view: PoolView | undefined = undefined
  /** The pool's own `submitted` and `started` counters at the last reset. */
  submittedBase = 0
  startedBase = 0
  completed = 0
  failed = 0
  cancelled = 0
  timedOut = 0
  retried = 0
  deadLettered = 0
  rejected = 0
  rejectedBy: { -readonly [K in keyof RejectedCounts]: number } = { ...ZERO_REJECTED }
  workersStarted = 0
  crashed = 0
  restarts = 0
  /** Workers that left for a reason the pool replaces them for, not yet replaced. */
  awaitingReplacement = 0
  untrackedKeyTasks = 0
  since: number
  /** When the metrics first saw the pool closed (their clock), or undefined while it is not. */
  closedAt: number | undefined = undefined
  readonly wait: Latency
  readonly run: Latency
  /** Tasks that ended (count) and the run time of attempts (amount, ms), by when they ended. */
  readonly done: EventWindow
  readonly errors: EventWindow
  readonly keys = new Map<string, KeySeries>()
  /**
   * The keys also form a list from the least to the most recently active: a
   * key used moves to the newest end (a few pointer writes, no map write), so
   * the oldest is the one to evict, found in O(1).
   */
  oldestKey: KeySeries | undefined = undefined
  newestKey: KeySeries | undefined = undefined

  constructor(
    readonly name: string,
    now: number,
    options: ResolvedMetricsOptions,
  ) {
    this.since = now
    this.wait = new Latency(options.histogram, options.windowMs, now)
    this.run = new Latency(options.histogram, options.windowMs, now)
    this.done = new EventWindow(now)
    this.errors = new EventWindow(now)
  }

  reset(now: number): void {
    const counters = this.view?.stats().counters
    this.submittedBase = counters?.submitted ?? 0
    this.startedBase = counters?.started ?? 0
    this.completed = this.failed = this.cancelled = this.timedOut = 0
    this.retried = this.deadLettered = this.rejected = 0
    this.rejectedBy = { ...ZERO_REJECTED }
    this.workersStarted = this.crashed = this.restarts = this.awaitingReplacement = 0
    this.untrackedKeyTasks = 0
    this.oldestKey = this.newestKey = undefined
    this.since = now
    this.wait.reset(now)
    this.run.reset(now)
    this.done.reset(now)
    this.errors.reset(now)
    this.keys.clear()
  }
}

interface ResolvedMetricsOptions {
  readonly clock: Clock
  readonly windowMs: number
  /** The `key` option; undefined for the task's own `key`. */
  readonly key: KeyFunction | undefined
  readonly maxKeys: number
  readonly keyIdleMs: number
  readonly closedPoolRetentionMs: number
  readonly maxClosedPools: number
  readonly histogram: HistogramOptions
  readonly keyHistogram: HistogramOptions
  readonly buckets: readonly number[]
  readonly collectors: readonly MetricsCollector[]
}

function resolveOptions(options: MetricsOptions | undefined): ResolvedMetricsOptions {
  // null is not "left out": only undefined takes the default.
  const o = options === undefined ? {} : options
  if (typeof o !== 'object' || o === null) throw new TypeError(`options must be an object, got ${describe(o)}`)
  const positive = (name: string, value: unknown, fallback: number): number => {
    if (value === undefined) return fallback
    if (typeof value !== 'number' || !(value > 0) || value === Infinity) {
      throw new TypeError(`options.${name} must be a positive finite number of milliseconds, got ${describe(value)}`)
    }
    return value
  }
  if (o.key !== undefined && typeof o.key !== 'function') throw new TypeError(`options.key must be a function, got ${describe(o.key)}`)
  const maxKeys = o.maxKeys === undefined ? 100 : o.maxKeys
  if (typeof maxKeys !== 'number' || !Number.isInteger(maxKeys) || maxKeys < 0) {
    throw new TypeError(`options.maxKeys must be a non-negative integer, got ${describe(maxKeys)}`)
  }
  const retention = o.closedPoolRetentionMs === undefined ? 60_000 : o.closedPoolRetentionMs
  if (typeof retention !== 'number' || !(retention >= 0)) {
    throw new TypeError(`options.closedPoolRetentionMs must be a non-negative number of milliseconds or Infinity, got ${describe(retention)}`)
  }
  const maxClosedPools = o.maxClosedPools === undefined ? 100 : o.maxClosedPools
  if (typeof maxClosedPools !== 'number' || !(maxClosedPools >= 0) || !(Number.isInteger(maxClosedPools) || maxClosedPools === Infinity)) {
    throw new TypeError(`options.maxClosedPools must be a non-negative integer or Infinity, got ${describe(maxClosedPools)}`)
  }
  const buckets = o.buckets === undefined ? DEFAULT_BUCKETS : o.buckets
  if (!Array.isArray(buckets) || buckets.some((b, i) => typeof b !== 'number' || !Number.isFinite(b) || b <= 0 || (i > 0 && b <= buckets[i - 1]!))) {
    throw new TypeError(`options.buckets must be ascending positive finite numbers of milliseconds, got ${describe(buckets)}`)
  }
  const clock = o.clock === undefined ? systemClock : o.clock
  if (typeof clock?.now !== 'function') throw new TypeError(`options.clock must be a Clock (with now()), got ${describe(clock)}`)
  const histogram = o.histogram === undefined ? {} : o.histogram
  const keyHistogram = o.keyHistogram === undefined ? { relativeError: 0.05 } : o.keyHistogram
  // Checked now, so a bad layout fails here and not at the first pool.
  checkLayout('options.histogram', histogram)
  checkLayout('options.keyHistogram', keyHistogram)
  const collectors = o.collectors ?? []
  if (!Array.isArray(collectors)) throw new TypeError(`options.collectors must be an array of MetricsCollector, got ${describe(collectors)}`)
  collectors.forEach((c, i) => checkCollector(`options.collectors[${i}]`, c))
  return {
    collectors,
    clock,
    windowMs: positive('windowMs', o.windowMs, 60_000),
    key: o.key,
    maxKeys,
    keyIdleMs: positive('keyIdleMs', o.keyIdleMs, 600_000),
    closedPoolRetentionMs: retention,
    maxClosedPools,
    histogram,
    keyHistogram,
    buckets,
  }
}

/**
 * Builds a histogram of `layout` to check it, with `createHistogram`'s messages
 * moved under `path` (`options.lowest` becomes `options.histogram.lowest`).
 */
function checkLayout(path: string, layout: unknown): void {
  if (typeof layout !== 'object' || layout === null || Array.isArray(layout)) throw new TypeError(`${path} must be an object, got ${describe(layout)}`)
  try {
    createHistogram(layout as HistogramOptions)
  } catch (error) {
    if (!(error instanceof TypeError || error instanceof RangeError)) throw error
    const Class = error instanceof TypeError ? TypeError : RangeError
    throw new Class(error.message.replace(/\boptions\./g, `${path}.`))
  }
}

/**
 * The key `key` gives `task`, which must be a string or undefined (a series
 * keyed by anything else would be exported under a label that is not its
 * value). A throw goes to the pool's 'error' event, as any observer's does.
 */
function keyOfTask(key: KeyFunction, task: TaskInfo): string | undefined {
  const value = key(task)
  if (value !== undefined && typeof value !== 'string') throw new TypeError(`options.key must return a string or undefined, got ${describe(value)} for task ${task.id}`)
  return value
}

/** The reject reasons as `RejectedCounts` fields. */
const REJECT_FIELD: Record<RejectReason, keyof RejectedCounts> = {
  'queue-full': 'queueFull',
  dropped: 'dropped',
  closed: 'closed',
  'circuit-open': 'circuitOpen',
  'no-workers': 'noWorkers',
  unplaceable: 'unplaceable',
}

class MetricsImpl implements Metrics {
  private readonly o: ResolvedMetricsOptions
  private readonly series = new Map<string, Series>()
  /**
   * The series of attached pools not seen closed, in the order the sweep at
   * each `onAttached` looks at them: it takes the first and puts it back last.
   * (Not an iterator kept from one call to the next: a live Map iterator holds
   * the entries of the table it started on.)
   */
  private readonly open = new Map<string, Series>()
  /** The series of pools seen closed, in the order seen (so by `closedAt`): the first expires first. */
  private readonly closed = new Map<string, Series>()
  /** The last series used: hooks of one pool come in runs, so this spares a map lookup. */
  private last: Series | undefined = undefined
  private readonly collectors: Set<MetricsCollector>

  constructor(options: MetricsOptions | undefined) {
    this.o = resolveOptions(options)
    this.collectors = new Set(this.o.collectors)
  }

  // ---------------------------------------------------------------- hooks

  onAttached(pool: string, view: PoolView): void {
    // New pools are what grows memory, so each one pays for a step of the sweep:
    // a service that makes pools and is never scraped still lets closed ones go.
    this.sweep(this.o.clock.now(), false)
    const s = this.of(pool)
    const counters = view.stats().counters
    // A pool that takes over a name (a pool made again) continues its series:
    // its counters go on from the previous pool's, as Prometheus expects.
    const previous = s.view?.stats().counters
    s.submittedBase = counters.submitted - (previous === undefined ? 0 : previous.submitted - s.submittedBase)
    s.startedBase = counters.started - (previous === undefined ? 0 : previous.started - s.startedBase)
    s.view = view
    if (s.closedAt !== undefined) {
      s.closedAt = undefined
      this.closed.delete(pool)
    }
    this.open.set(pool, s)
  }

  onSettled(pool: string, task: TaskInfo, outcome: Exclude<TaskOutcome, 'rejected'>): void {
    const s = this.last?.name === pool ? this.last : this.of(pool)
    const started = task.startedAt
    const ended = task.endedAt ?? -1
    // It ran if its last attempt ended after it started; otherwise it was
    // cancelled (or timed out) while queued: no times, and a clock read.
    const ran = started >= 0 && ended >= started
    const at = ran ? ended : this.o.clock.now()
    if (ran) {
      // The pool's own times, read at the end of the attempt: no clock read, and
      // one hook per task (the wait is still on the task: startedAt - enqueuedAt).
      const took = ended - started
      s.wait.record(started - task.enqueuedAt, at)
      s.run.record(took, at)
      s.done.add(1, took, at)
    } else {
      s.done.add(1, 0, at)
    }
    switch (outcome) {
      case 'completed':
        s.completed++
        break
      case 'failed':
        s.failed++
        s.errors.add(1, 0, at)
        break
      case 'timed-out':
        s.timedOut++
        s.errors.add(1, 0, at)
        break
      case 'cancelled':
        s.cancelled++
        break
    }
    // The key last, after the pool's counts: a key function that throws loses only the key's.
    const key = this.o.key === undefined ? task.key : keyOfTask(this.o.key, task)
    if (key === undefined) return
    // One lookup per task, at its end: the task's own totals over its attempts.
    const k = this.keyOf(s, key, at, true)
    if (k === undefined) return
    if (task.startedAt >= 0) k.wait.record(task.waitMs)
    if (ran) k.run.record(task.runMs)
    switch (outcome) {
      case 'completed':
        k.completed++
        break
      case 'failed':
        k.failed++
        break
      case 'timed-out':
        k.timedOut++
        break
      case 'cancelled':
        k.cancelled++
        break
    }
  }

  onRejected(pool: string, task: TaskInfo, reason: RejectReason): void {
    // A call to a pool whose series were dropped after its close must not bring
    // them back: a closed pool goes on refusing for as long as it is called.
    if (reason === 'closed' && !this.series.has(pool)) return
    const s = this.of(pool)
    s.rejected++
    s.rejectedBy[REJECT_FIELD[reason]]++
    const key = this.o.key === undefined ? task.key : keyOfTask(this.o.key, task)
    if (key !== undefined) {
      const k = this.keyOf(s, key, this.o.clock.now(), true)
      if (k !== undefined) k.rejected++
    }
  }

  onRetried(pool: string, task: TaskInfo): void {
    const s = this.of(pool)
    s.retried++
    const ended = task.endedAt ?? -1
    if (ended >= task.startedAt && task.startedAt >= 0) {
      // A failed attempt: its wait and run time count, the task has not ended.
      const took = ended - task.startedAt
      s.wait.record(task.startedAt - task.enqueuedAt, ended)
      s.run.record(took, ended)
      s.done.add(0, took, ended)
    }
  }

  onDeadLettered(pool: string): void {
    this.of(pool).deadLettered++
  }

  onWorkerStarted(pool: string): void {
    const s = this.of(pool)
    s.workersStarted++
    if (s.awaitingReplacement > 0) {
      s.awaitingReplacement--
      s.restarts++
    }
  }

  onWorkerExited(pool: string, _worker: unknown, reason: WorkerExitReason): void {
    if (reason === 'closed') {
      // Core's pool is 'closed' by the time its workers exit for it: the earliest sign of a close.
      const s = this.series.get(pool)
      if (s !== undefined) this.noteClosed(s, this.o.clock.now())
      return
    }
    const s = this.of(pool)
    if (reason === 'crashed' || reason === 'unresponsive') s.crashed++
    if (reason !== 'retired') s.awaitingReplacement++
  }

  // ---------------------------------------------------------------- reading

  snapshot(): MetricsSnapshot {
    const now = this.o.clock.now()
    this.sweep(now, true)
    const pools: PoolMetrics[] = []
    for (const s of this.series.values()) pools.push(this.poolMetrics(s, now))
    if (this.collectors.size === 0) return { time: Date.now(), pools }
    return { time: Date.now(), pools, collected: collectAll(this.collectors) }
  }

  addCollector(collector: MetricsCollector): () => void {
    checkCollector('addCollector(collector)', collector)
    this.collectors.add(collector)
    return () => {
      this.collectors.delete(collector)
    }
  }

  toPrometheus(options?: PrometheusOptions): string {
    return formatPrometheus(this.snapshot(), options)
  }

  histogram(kind: 'wait' | 'run', pool?: string): Histogram {
    this.sweep(this.o.clock.now(), true)
    if (pool !== undefined) {
      const s = this.series.get(pool)
      if (s === undefined) throw new RangeError(`metrics.histogram(): no pool named ${JSON.stringify(pool)} was observed`)
      return s[kind].total.clone()
    }
    const merged = createHistogram(this.o.histogram)
    for (const s of this.series.values()) merged.merge(s[kind].total)
    return merged
  }

  reset(): void {
    const now = this.o.clock.now()
    for (const s of this.series.values()) {
      this.noteClosed(s, now)
      if (s.closedAt === undefined) s.reset(now)
      else this.drop(s)
    }
  }

  removePool(name: string): boolean {
    const s = this.series.get(name)
    if (s === undefined) return false
    this.drop(s)
    return true
  }

  // ---------------------------------------------------------------- internals

  /**
   * Looks for pools that closed since, at every open pool when `all`, else at
   * the next two in turn (more than the one pool each attach adds, so the
   * sweep keeps up), then drops the closed ones whose retention is over.
   */
  private sweep(now: number, all: boolean): void {
    if (all) {
      for (const s of this.open.values()) this.noteClosed(s, now)
    } else {
      for (let i = Math.min(2, this.open.size); i > 0; i--) {
        const s = this.open.values().next().value!
        this.noteClosed(s, now)
        if (s.closedAt === undefined) {
          this.open.delete(s.name)
          this.open.set(s.name, s)
        }
      }
    }
    // In the order seen, so by closedAt: stop at the first still retained.
    for (const s of this.closed.values()) {
      if (now - s.closedAt! < this.o.closedPoolRetentionMs) break
      this.drop(s)
    }
  }

  /** Starts the retention of a pool found closed, and drops the oldest closed one past `maxClosedPools`. */
  private noteClosed(s: Series, now: number): void {
    if (s.closedAt !== undefined || s.view?.state !== 'closed') return
    s.closedAt = now
    this.open.delete(s.name)
    this.closed.set(s.name, s)
    if (this.closed.size > this.o.maxClosedPools) this.drop(this.closed.values().next().value!)
  }

  /** Forgets a pool: its series, and with them its view (so the pool itself can be collected). */
  private drop(s: Series): void {
    if (this.series.get(s.name) === s) this.series.delete(s.name)
    if (this.open.get(s.name) === s) this.open.delete(s.name)
    if (this.closed.get(s.name) === s) this.closed.delete(s.name)
    if (this.last === s) this.last = undefined
    s.view = undefined
  }

  private of(pool: string): Series {
    let s = this.series.get(pool)
    if (s === undefined) {
      s = new Series(pool, this.o.clock.now(), this.o)
      this.series.set(pool, s)
    }
    this.last = s
    return s
  }

  /**
   * The key's series, made on first use while there is room; undefined when
   * there is none, counted in `untrackedKeyTasks` when `final` (the task's last
   * event, so each task counts once).
   */
  private keyOf(s: Series, key: string, now: number, final: boolean): KeySeries | undefined {
    let k = s.keys.get(key)
    if (k !== undefined) {
      k.lastActive = now
      if (s.newestKey !== k) {
        unlinkKey(s, k)
        appendKey(s, k)
      }
      return k
    }
    if (this.o.maxKeys === 0) {
      if (final) s.untrackedKeyTasks++
      return undefined
    }
    if (s.keys.size >= this.o.maxKeys && !this.evictIdleKey(s, now)) {
      if (final) s.untrackedKeyTasks++
      return undefined
    }
    k = new KeySeries(key, now, this.o.keyHistogram)
    s.keys.set(key, k)
    appendKey(s, k)
    return k
  }

  /**
   * Drops the least recently active key, the oldest of the list, if it has
   * been idle for `keyIdleMs`: O(1), whatever the number of keys.
   */
  private evictIdleKey(s: Series, now: number): boolean {
    const oldest = s.oldestKey
    if (oldest === undefined || now - oldest.lastActive < this.o.keyIdleMs) return false
    unlinkKey(s, oldest)
    s.keys.delete(oldest.key)
    return true
  }

  private poolMetrics(s: Series, now: number): PoolMetrics {
    const stats = s.view?.stats()
    const tasks: TaskCounts = {
      submitted: stats === undefined ? s.completed + s.failed + s.cancelled + s.timedOut + s.rejected : stats.counters.submitted - s.submittedBase,
      started: stats === undefined ? 0 : stats.counters.started - s.startedBase,
      completed: s.completed,
      failed: s.failed,
      rejected: s.rejected,
      rejectedBy: { ...s.rejectedBy },
      cancelled: s.cancelled,
      timedOut: s.timedOut,
      retried: s.retried,
      deadLettered: s.deadLettered,
    }
    const elu: { worker: number; value: number }[] = []
    for (const w of stats?.perWorker ?? []) {
      if (w.state === 'ready' && w.eventLoopUtilization !== undefined) elu.push({ worker: w.id, value: w.eventLoopUtilization })
    }
    // Busy ms per second over the window, over the tasks the pool may run at once
    // (stats().concurrency: not the tasks an executor holds ahead of them).
    const capacity = stats?.concurrency ?? 0
    const utilization = capacity > 0 ? Math.min(1, s.done.amountRate(UTILIZATION_WINDOW, now) / 1000 / capacity) : 0
    const rates = (w: EventWindow) => ({
      '1s': w.rate(RATE_WINDOWS['1s'], now),
      '10s': w.rate(RATE_WINDOWS['10s'], now),
      '60s': w.rate(RATE_WINDOWS['60s'], now),
    })
    const errorRatio = (ms: number): number => {
      const finished = s.done.total(ms, now)
      return finished > 0 ? s.errors.total(ms, now) / finished : 0
    }
    const keys: KeyMetrics[] = []
    for (let k = s.newestKey; k !== undefined; k = k.older) keys.push(k.toJSON())
    return {
      pool: s.name,
      state: s.view?.state ?? 'open',
      tasks,
      workers: {
        total: stats?.workers.total ?? 0,
        busy: stats?.workers.busy ?? 0,
        idle: stats?.workers.idle ?? 0,
        starting: stats?.workers.starting ?? 0,
        started: s.workersStarted,
        crashed: s.crashed,
        restarts: s.restarts,
        eventLoopUtilization: elu,
      },
      queueDepth: stats?.queued ?? 0,
      running: stats?.running ?? 0,
      utilization,
      wait: { recent: s.wait.recent(now), total: s.wait.total.summary(), buckets: s.wait.total.buckets(this.o.buckets) },
      run: { recent: s.run.recent(now), total: s.run.total.summary(), buckets: s.run.total.buckets(this.o.buckets) },
      throughput: rates(s.done),
      errorRate: { '1s': errorRatio(1_000), '10s': errorRatio(10_000), '60s': errorRatio(60_000) },
      keys,
      untrackedKeyTasks: s.untrackedKeyTasks,
    }
  }
}

/**
 * Creates metrics for poolkit pools: a core `PoolObserver` that counts every
 * task and worker transition, keeps HDR-style latency histograms of queue wait
 * and run time, throughput and error rates over 1, 10 and 60 seconds, and
 * per-key series (by the task's `key`, or by the `key` option), and reads the
 * pools' gauges live.
 *
 * ```ts
 * const metrics = createMetrics()
 * const pool = createPool({ executor: threads(url), observers: [metrics] })
 * metrics.snapshot().pools[0].run.recent.p99
 * // Per-key series by provider, while the tasks' own key is their tenant:
 * const byProvider = createMetrics({ key: (task) => task.labels?.provider })
 * ```
 * @public
 */
export function createMetrics(options?: MetricsOptions): Metrics {
  return new MetricsImpl(options)
}
