import { systemClock } from '@poolkit/core'
import type { Clock, MetricsCollector, PoolObserver, PoolView, RejectReason, TaskInfo, TaskOutcome, WorkerExitReason } from '@poolkit/core'
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
   * The most task keys tracked per pool. A task whose key is not tracked and
   * would exceed it counts in `untrackedKeyTasks`; a key idle for `keyIdleMs`
   * makes room for a new one. `0` tracks no keys.
   * @defaultValue 100
   */
  maxKeys?: number
  /**
   * A tracked key with no task for this long (ms) may be replaced by a new one.
   * @defaultValue 600000 (10 minutes)
   */
  keyIdleMs?: number
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
  /** Zeroes every counter, histogram, rate and key series (gauges are read live). */
  reset(): void
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
/** The window of the utilisation gauge, ms. */
const UTILISATION_WINDOW = 10_000
const RATE_WINDOWS = { '1s': 1_000, '10s': 10_000, '60s': 60_000 } as const

/** The series of one key. */
class KeySeries {
  completed = 0
  failed = 0
  rejected = 0
  cancelled = 0
  timedOut = 0
  lastActive: number
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

const ZERO_REJECTED: RejectedCounts = { queueFull: 0, dropped: 0, closed: 0, circuitOpen: 0, noWorkers: 0 }

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
  readonly wait: Latency
  readonly run: Latency
  /** Tasks that ended (count) and the run time of attempts (amount, ms), by when they ended. */
  readonly done: EventWindow
  readonly errors: EventWindow
  readonly keys = new Map<string, KeySeries>()

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
  readonly maxKeys: number
  readonly keyIdleMs: number
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
  const maxKeys = o.maxKeys === undefined ? 100 : o.maxKeys
  if (typeof maxKeys !== 'number' || !Number.isInteger(maxKeys) || maxKeys < 0) {
    throw new TypeError(`options.maxKeys must be a non-negative integer, got ${describe(maxKeys)}`)
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
    maxKeys,
    keyIdleMs: positive('keyIdleMs', o.keyIdleMs, 600_000),
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

/** The reject reasons as `RejectedCounts` fields. */
const REJECT_FIELD: Record<RejectReason, keyof RejectedCounts> = {
  'queue-full': 'queueFull',
  dropped: 'dropped',
  closed: 'closed',
  'circuit-open': 'circuitOpen',
  'no-workers': 'noWorkers',
}

class MetricsImpl implements Metrics {
  private readonly o: ResolvedMetricsOptions
  private readonly series = new Map<string, Series>()
  /** The last series used: hooks of one pool come in runs, so this spares a map lookup. */
  private last: Series | undefined = undefined
  private readonly collectors: Set<MetricsCollector>

  constructor(options: MetricsOptions | undefined) {
    this.o = resolveOptions(options)
    this.collectors = new Set(this.o.collectors)
  }

  // ---------------------------------------------------------------- hooks

  onAttached(pool: string, view: PoolView): void {
    const s = this.of(pool)
    s.view = view
    const counters = view.stats().counters
    s.submittedBase = counters.submitted
    s.startedBase = counters.started
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
    let k: KeySeries | undefined
    if (task.key !== undefined) {
      // One lookup per task, at its end: the task's own totals over its attempts.
      k = this.keyOf(s, task.key, at, true)
      if (k !== undefined) {
        if (task.startedAt >= 0) k.wait.record(task.waitMs)
        if (ran) k.run.record(task.runMs)
      }
    }
    switch (outcome) {
      case 'completed':
        s.completed++
        if (k !== undefined) k.completed++
        break
      case 'failed':
        s.failed++
        s.errors.add(1, 0, at)
        if (k !== undefined) k.failed++
        break
      case 'timed-out':
        s.timedOut++
        s.errors.add(1, 0, at)
        if (k !== undefined) k.timedOut++
        break
      case 'cancelled':
        s.cancelled++
        if (k !== undefined) k.cancelled++
        break
    }
  }

  onRejected(pool: string, task: TaskInfo, reason: RejectReason): void {
    const s = this.of(pool)
    s.rejected++
    s.rejectedBy[REJECT_FIELD[reason]]++
    if (task.key !== undefined) {
      const k = this.keyOf(s, task.key, this.o.clock.now(), true)
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
    const s = this.of(pool)
    if (reason === 'crashed' || reason === 'unresponsive') s.crashed++
    if (reason !== 'retired' && reason !== 'closed') s.awaitingReplacement++
  }

  // ---------------------------------------------------------------- reading

  snapshot(): MetricsSnapshot {
    const now = this.o.clock.now()
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
    for (const s of this.series.values()) s.reset(now)
  }

  // ---------------------------------------------------------------- internals

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
    return k
  }

  /** Drops the longest-idle key if it has been idle for `keyIdleMs`. */
  private evictIdleKey(s: Series, now: number): boolean {
    let oldest: KeySeries | undefined
    for (const k of s.keys.values()) if (oldest === undefined || k.lastActive < oldest.lastActive) oldest = k
    if (oldest === undefined || now - oldest.lastActive < this.o.keyIdleMs) return false
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
    const utilisation = capacity > 0 ? Math.min(1, s.done.amountRate(UTILISATION_WINDOW, now) / 1000 / capacity) : 0
    const rates = (w: EventWindow) => ({
      '1s': w.rate(RATE_WINDOWS['1s'], now),
      '10s': w.rate(RATE_WINDOWS['10s'], now),
      '60s': w.rate(RATE_WINDOWS['60s'], now),
    })
    const errorRatio = (ms: number): number => {
      const finished = s.done.total(ms, now)
      return finished > 0 ? s.errors.total(ms, now) / finished : 0
    }
    const keys = [...s.keys.values()].sort((a, b) => b.lastActive - a.lastActive).map((k) => k.toJSON())
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
      utilisation,
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
 * per-key series, and reads the pools' gauges live.
 *
 * ```ts
 * const metrics = createMetrics()
 * const pool = createPool({ executor: threads(url), observers: [metrics] })
 * metrics.snapshot().pools[0].run.recent.p99
 * ```
 * @public
 */
export function createMetrics(options?: MetricsOptions): Metrics {
  return new MetricsImpl(options)
}
