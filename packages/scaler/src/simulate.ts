import { createPool, createVirtualClock } from '@poolkit/core'
import type { Scaler } from '@poolkit/core'
import { seededRandom } from '@poolkit/core/testing'
import { createArrivals } from './internal/sim-arrivals.js'
import { describe, nonNegativeInteger, positive, positiveInteger } from './internal/sim-check.js'
import { CompletionHeap } from './internal/sim-heap.js'
import { SimRecorder } from './internal/sim-recorder.js'
import { SimulatedOverloadError, createService } from './internal/sim-service.js'

/**
 * When tasks arrive in a simulation. Every kind is a Poisson process (exponential
 * gaps between arrivals); they differ in how the rate moves:
 * - `poisson`: a constant `perSecond`;
 * - `steps`: `perSecond` changes at each `atMs` (ascending); no arrivals before the first step;
 * - `burst`: a constant `perSecond`, plus `count` tasks that all arrive at `atMs`;
 * - a function: the rate (tasks/s) at time `tMs`, read once per simulated millisecond.
 * @public
 */
export type Arrivals =
  | { kind: 'poisson'; perSecond: number }
  | { kind: 'steps'; steps: readonly { atMs: number; perSecond: number }[] }
  | { kind: 'burst'; perSecond: number; burst: { atMs: number; count: number } }
  | ((tMs: number) => number)

/**
 * How long a simulated task runs, given how many run at once: a provider with a
 * hidden limit. A task that starts while `c` tasks run (itself included) takes
 * `baseMs + slope * max(0, c - knee)`, times a uniform factor in
 * `[1 - jitter, 1 + jitter]`. The time is drawn when the task starts and does not
 * change after.
 * @public
 */
export interface ServiceModel {
  /** Run time below the knee (ms). */
  baseMs: number
  /** Tasks at once past which each extra one slows every new task down. @defaultValue Infinity (no knee) */
  knee?: number
  /**
   * Extra ms per task running past the knee. The default keeps throughput flat
   * at `knee / baseMs` however many run: past the limit, more concurrency only
   * adds latency. @defaultValue `baseMs / knee`
   */
  slope?: number
  /** Relative spread of run times, from 0 to below 1. @defaultValue 0 */
  jitter?: number
  /**
   * Share of tasks that fail with a 429-like `SimulatedOverloadError` after their
   * run time. With a `knee`, only tasks that start past it can fail (the
   * provider refuses what is over its limit); without one, any task can.
   * @defaultValue 0
   */
  errorRate?: number
}

/**
 * What {@link simulate} runs.
 * @public
 */
export interface SimulateOptions {
  /** The policy under test, as the pool would get it. */
  scaler: Scaler
  /** When tasks arrive. */
  arrivals: Arrivals
  /** How long they run. */
  service: ServiceModel
  /** Simulated time to run (ms). */
  durationMs: number
  /** Seed of the random draws; the same seed gives the same run. @defaultValue 1 */
  seed?: number
  /** The pool's concurrency cap: the most workers, whatever the scaler's `max` says. @defaultValue 1000 */
  maxConcurrency?: number
  /** Length of each sample window (ms). @defaultValue 1000 */
  sampleMs?: number
}

/**
 * One window of a simulated run, `(atMs - sampleMs, atMs]`.
 * @public
 */
export interface SimulationSample {
  /** End of the window (ms); worker, busy and queued counts are read at this time. */
  readonly atMs: number
  /** Tasks that arrived in the window. */
  readonly arrived: number
  /** Tasks that finished in the window, failed ones included. */
  readonly completed: number
  /** `completed` per second. */
  readonly throughput: number
  /** Live workers (for an in-process pool, concurrency slots). */
  readonly workers: number
  /** Workers running a task. */
  readonly busy: number
  /** Tasks waiting in the queue. */
  readonly queued: number
  /** Median queue wait of the tasks that started in the window (ms); 0 when none started. */
  readonly waitP50: number
  /** 95th percentile of the same waits (ms). */
  readonly waitP95: number
  /** 99th percentile of the same waits (ms). */
  readonly waitP99: number
}

/**
 * What a simulated run measured.
 * @public
 */
export interface SimulationReport {
  /** One sample per `sampleMs`. */
  readonly samples: readonly SimulationSample[]
  /** Tasks that finished with a value. */
  readonly completed: number
  /** Tasks that finished with the simulated 429-like error. */
  readonly failed: number
  /** Idle worker-time over the run (worker-seconds): what the policy paid for and did not use. */
  readonly wastedWorkerSeconds: number
  /** Queue-wait percentiles of every task that started (ms). */
  readonly wait: { p50: number; p95: number; p99: number; max: number }
  /** Time-weighted mean of the live worker count. */
  readonly meanWorkers: number
  /** Times the scaler's answer moved the pool's target worker count. */
  readonly scalingChanges: number
}

/** The most samples a run keeps. */
const MAX_SAMPLES = 1_000_000

/** The longest clock step: a task started by a pool timer we do not know of ends at most this late (ms). */
const MAX_STEP_MS = 10

const noop = (): void => {}

function checkScaler(scaler: unknown): Scaler {
  if (typeof scaler !== 'object' || scaler === null || typeof (scaler as Scaler).desired !== 'function') {
    throw new TypeError(`options.scaler must be an object with a desired() function, got ${describe(scaler)}`)
  }
  return scaler as Scaler
}

/**
 * Runs a real core pool on a virtual clock against synthetic load and reports
 * how the scaler sized it: throughput, queue waits, worker count and idle
 * worker-time, per `sampleMs` and over the run. The pool is in-process, so a
 * worker is one concurrency slot; it starts at the scaler's `min`. Deterministic
 * for a given seed; 60 simulated seconds at 1,000 tasks/s take well under a
 * second of real time.
 * @example
 * ```ts
 * const report = await simulate({
 *   scaler: thresholdScaler({ min: 1, max: 50 }),
 *   arrivals: { kind: 'steps', steps: [{ atMs: 0, perSecond: 100 }, { atMs: 20_000, perSecond: 1_000 }] },
 *   service: { baseMs: 10, jitter: 0.2 },
 *   durationMs: 60_000,
 * })
 * console.log(report.samples.map((s) => s.workers))
 * ```
 * @public
 */
export async function simulate(options: SimulateOptions): Promise<SimulationReport> {
  if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, got ${describe(options)}`)
  const scaler = checkScaler(options.scaler)
  const durationMs = positive('options.durationMs', options.durationMs)
  const seed = options.seed === undefined ? 1 : nonNegativeInteger('options.seed', options.seed)
  const cap = options.maxConcurrency === undefined ? 1000 : positiveInteger('options.maxConcurrency', options.maxConcurrency)
  const sampleMs = options.sampleMs === undefined ? 1000 : positive('options.sampleMs', options.sampleMs)
  // Each sample is kept, and one too short to move the time on would never end the run.
  if (durationMs / sampleMs > MAX_SAMPLES) {
    throw new RangeError(`options.sampleMs (${sampleMs}) is too short for options.durationMs (${durationMs}): at most ${MAX_SAMPLES.toLocaleString('en-US')} samples`)
  }
  const service = createService(options.service)
  // Separate streams, so a change to the service model leaves the arrivals as they were.
  const arrivals = createArrivals(options.arrivals, seededRandom(seed), durationMs)
  const serviceRandom = seededRandom(seed ^ 0x5bd1e995)
  const min = scaler.min ?? 1
  const max = Math.min(scaler.max ?? cap, cap)
  if (min > max) throw new RangeError(`options.scaler.min (${min}) must not exceed options.maxConcurrency (${cap})`)

  const clock = createVirtualClock()
  const rec = new SimRecorder()
  const heap = new CompletionHeap()
  let seq = 0
  let ended = false
  let poolError: { error: unknown } | undefined

  // The pool sees the scaler's own settings, capped; the wrapper counts the moves.
  const wrapped: Scaler = {
    min,
    max,
    intervalMs: scaler.intervalMs,
    onPressure: scaler.onPressure,
    desired(snapshot) {
      const wanted = scaler.desired(snapshot)
      if (typeof wanted === 'number' && !Number.isNaN(wanted) && Math.max(min, Math.min(max, Math.round(wanted))) !== snapshot.targetWorkers) {
        rec.scalingChanges++
      }
      return wanted
    },
  }
  // The input is the arrival time, so the wait is known when the task starts.
  const handler = (arrivedAt: number): Promise<void> => {
    if (ended) return Promise.reject(new Error('the simulation ended'))
    const now = clock.now()
    rec.taskStarted(now, now - arrivedAt)
    const draw = service.draw(rec.running, serviceRandom)
    return new Promise<void>((resolve, reject) => heap.push({ at: now + draw.ms, seq: seq++, fails: draw.fails, resolve, reject }))
  }
  // No `concurrency`: a scaled pool then starts at its minimum.
  const pool = createPool<number, void>({
    handler,
    clock,
    scaler: wrapped,
    observers: [{ onWorkerStarted: () => rec.workerStarted(clock.now()), onWorkerExited: () => rec.workerExited(clock.now()) }],
  })
  pool.on('error', (error) => (poolError ??= { error }))

  const interval = scaler.intervalMs ?? 1000
  const ticks = interval > 0 && Number.isFinite(interval)
  let now = 0
  let nextArrival = arrivals.next()
  let nextSample = Math.min(sampleMs, durationMs)
  try {
    for (;;) {
      if (poolError !== undefined) throw poolError.error
      let settled = 0
      while (heap.peekAt() <= now) {
        const done = heap.pop()!
        rec.taskEnded(now, !done.fails)
        if (done.fails) done.reject(new SimulatedOverloadError())
        else done.resolve()
        settled++
      }
      // Let the pool take back the freed slots before tasks arriving at the same instant look for one.
      if (settled > 0 && nextArrival <= now) await clock.flush()
      while (nextArrival <= now) {
        rec.arrived()
        pool.submit(nextArrival, noop)
        nextArrival = arrivals.next()
      }
      if (now >= nextSample) {
        await clock.flush()
        const stats = pool.stats()
        rec.sample(now, stats.workers.busy, stats.queued)
        if (now >= durationMs) break
        nextSample = Math.min(nextSample + sampleMs, durationMs)
      }
      // Step to the next event; stop at each scaler tick so tasks it starts begin on time.
      let next = Math.min(heap.peekAt(), nextArrival, nextSample, now + MAX_STEP_MS)
      if (ticks) next = Math.min(next, (Math.floor(now / interval) + 1) * interval)
      await clock.advance(next - now)
      now = clock.now()
    }
    return rec.report(now)
  } finally {
    ended = true
    for (const running of heap.drain()) running.reject(new Error('the simulation ended'))
    await pool.destroy()
  }
}
