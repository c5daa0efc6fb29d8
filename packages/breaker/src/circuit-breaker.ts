import type { Breaker, Clock, KeyFunction } from '@poolkit/core'
import { CircuitBreakerImpl } from './internal/circuit-breaker-impl.js'

/**
 * The state of one circuit: `closed` lets every call through, `open` none,
 * `half-open` a few probes that decide whether it closes again.
 * @public
 */
export type CircuitState = 'closed' | 'open' | 'half-open'

/**
 * Options of {@link createCircuitBreaker}.
 * @public
 */
export interface CircuitBreakerOptions {
  /**
   * Where time comes from; give the pool's clock.
   * @defaultValue core's `systemClock`
   */
  clock?: Clock | undefined
  /**
   * Failures in a row (slow calls included) that trip the circuit; `Infinity`
   * turns this trigger off.
   * @defaultValue 5
   */
  failureThreshold?: number | undefined
  /**
   * Trips the circuit when (failures + slow calls) / calls over the `window`
   * reaches this share, once `minimumCalls` calls are in the window. A number
   * above 0 and at most 1.
   * @defaultValue `undefined` (no rate trigger)
   */
  failureRateThreshold?: number | undefined
  /**
   * The sliding window of the failure rate: the last `size` calls, or the calls
   * of the last `ms` milliseconds (kept in slices of `max(1, floor(ms / 1000))`
   * ms, so a call may leave up to one slice early).
   * @defaultValue `{ type: 'count', size: 100 }`
   */
  window?: { type: 'count'; size: number } | { type: 'time'; ms: number } | undefined
  /**
   * Calls the window must hold before the rate can trip the circuit. With a
   * count window it must not exceed `window.size` (`RangeError`).
   * @defaultValue 10
   */
  minimumCalls?: number | undefined
  /**
   * A call that ran longer than this (ms) counts as a failure although it
   * succeeded (it is counted in `slowCalls`, not `failures`).
   * @defaultValue `Infinity`
   */
  slowCallMs?: number | undefined
  /**
   * How long (ms) a tripped circuit stays open before it lets probes through.
   * `Infinity`: until `reset()`.
   * @defaultValue 10_000
   */
  openMs?: number | undefined
  /**
   * Longer opens after failed probes: each half-open that fails multiplies the
   * open time by `factor` (at least 1), up to `maxOpenMs` (at least `openMs`).
   * Back to `openMs` when the circuit closes.
   * @defaultValue `{ factor: 1, maxOpenMs: Infinity }`
   */
  backoff?: { factor?: number | undefined; maxOpenMs?: number | undefined } | undefined
  /**
   * Probes a half-open circuit lets run at once.
   * @defaultValue 1
   */
  halfOpenMax?: number | undefined
  /**
   * Probe successes that close a half-open circuit; a single probe failure
   * opens it again.
   * @defaultValue 1
   */
  successThreshold?: number | undefined
  /**
   * How long (ms, from its start) a half-open probe cancelled while it ran
   * keeps its probe place, unresolved, before it counts as a failed probe: the
   * circuit opens again (with `backoff`, and reason `'probe-cancelled'`)
   * unless another probe decided first. A cancelled probe may well have reached
   * the provider and told nothing, so it does not give its place to the next
   * task: with `whenOpen: 'hold'` that would let every held task through in
   * turn, each cancelled by its caller's deadline (a probe storm). A probe
   * cancelled before it ran (a combined policy refused it, its worker died
   * first) gives its place back at once. A finite number of at least 0
   * (0: a cancelled probe fails the half-open at once).
   * @defaultValue `openMs`
   */
  cancelledProbeMs?: number | undefined
  /**
   * Which errors count against the circuit. An error it returns false for (a
   * provider's 4xx: the caller's fault, not the provider's) counts as a success,
   * as the provider answered. Timeouts come as `TaskTimeoutError`. If it throws,
   * the error counts as a failure and the exception is rethrown in a microtask.
   * Cancellations never count: they come through `onCancel`.
   * @defaultValue every error counts
   */
  isFailure?: ((error: unknown) => boolean) | undefined
  /**
   * What happens to a task of an open circuit: `'reject'` rejects it with
   * core's `CircuitOpenError` (its message says how long until the circuit
   * retries, "in 812 ms", and names the key only for a keyed breaker; its
   * `key` is the circuit's key when keyed, else the task's own key);
   * `'hold'` keeps it queued until the circuit half-opens (and, past the probe
   * places, until a probe settles). Nothing is lost either way.
   *
   * When a probe place is free, the held task with the most of its caller's
   * time left goes first: the one with the latest deadline, where the pool
   * gives tasks one (core's `TaskInfo.expiresAt`; none counts as the latest),
   * else the last submitted. So the probe is not a request about to be
   * cancelled; the others wait for its outcome.
   * @defaultValue 'reject'
   */
  whenOpen?: 'reject' | 'hold' | undefined
  /**
   * One circuit per key (tasks whose key is `undefined` share one), created
   * on first use; otherwise one circuit for every task. The key is the
   * task's `key`, or what `key` returns.
   * @defaultValue `true` when `key` is given, else `false`
   */
  keyed?: boolean | undefined
  /**
   * The circuit a task belongs to: one circuit per value it returns (implies
   * `keyed`; with `keyed: false` it is a `TypeError`). For example
   * `(task) => task.labels?.provider` in a pool whose fair queue shares by
   * tenant (the task's `key`). Called as tasks are admitted, started and
   * settled, so it must give the same answer for a task each time.
   * @defaultValue the task's `key`
   */
  key?: KeyFunction | undefined
  /**
   * Keyed: circuits tracked at most. At the cap a new key evicts the
   * longest-idle closed circuit with no call out; when every circuit is busy
   * (open, half-open or running calls) the task runs untracked, uncounted, and
   * `untracked` counts it.
   * @defaultValue 1000
   */
  maxKeys?: number | undefined
  /**
   * Keyed: a closed circuit with no call out, unused this long (ms), is dropped
   * with its counts.
   * @defaultValue 600_000
   */
  keyIdleMs?: number | undefined
}

/**
 * A circuit's counts (for the metrics package): totals since it was created or
 * reset, and the failure-rate window as it is now.
 * @public
 */
export interface CircuitCounts {
  /** The circuit's state now. */
  readonly state: CircuitState
  /** Calls that ended (successes + failures + slowCalls); cancellations are not calls. */
  readonly calls: number
  /** Calls that succeeded in time (and errors `isFailure` let pass). */
  readonly successes: number
  /** Calls that failed with an error that counts. */
  readonly failures: number
  /** Calls that ran past `slowCallMs` without a counted error. */
  readonly slowCalls: number
  /** Tasks rejected because the circuit was open (or its probes all out); held tasks are not counted. */
  readonly rejected: number
  /** Times the circuit opened. */
  readonly trips: number
  /** When an open circuit lets probes through, on the clock (ms); -1 unless open. */
  readonly openUntil: number
  /** Calls in the failure-rate window now (cleared when the circuit closes). */
  readonly windowCalls: number
  /** (failures + slow calls) / calls in the window; 0 while empty. */
  readonly windowFailureRate: number
}

/**
 * A change of a circuit's state.
 * @public
 */
export interface CircuitEvent {
  /** The circuit's key (what the `key` option returned; `undefined` for tasks without a key, and for the one circuit when not keyed). */
  readonly key: string | undefined
  /** The state it left. */
  readonly from: CircuitState
  /** The state it entered (the event's name: `'open'`, `'half-open'`, or `'close'` for `'closed'`). */
  readonly to: CircuitState
  /** When the change was made, on the clock (ms). Open turns half-open at the first look at or after `openUntil`. */
  readonly at: number
  /** When an open circuit lets probes through; -1 unless `to` is `'open'`. */
  readonly openUntil: number
  /**
   * Why: failures in a row or the failure rate tripped it, a probe failed, a
   * probe cancelled while it ran had no answer within `cancelledProbeMs`
   * (`at` is then that time), the probes succeeded, the open time elapsed, or
   * `reset()` closed it.
   */
  readonly reason?: 'consecutive-failures' | 'failure-rate' | 'probe-failed' | 'probe-cancelled' | 'probes-succeeded' | 'open-elapsed' | 'reset'
}

/**
 * A circuit breaker: core's `Breaker` with a look at its circuits.
 * @public
 */
export interface CircuitBreaker extends Breaker {
  /** The state of `key`'s circuit (the only circuit when not keyed); `'closed'` for a key not tracked. */
  state(key?: string): CircuitState
  /** The counts of `key`'s circuit (the only circuit when not keyed); zeros for a key not tracked. */
  counts(key?: string): CircuitCounts
  /** Every tracked key (keyed mode; the circuit of tasks without a key is not listed); `[]` when not keyed. */
  keys(): string[]
  /**
   * Calls `listener` synchronously on each change to that state. A listener
   * that throws does not disturb the breaker nor stop the other listeners:
   * the breaker has no `'error'` event, so the error is rethrown in a
   * microtask and surfaces as an uncaught exception (the rule of every poolkit
   * emitter, `Emitter` in `@poolkit/core/emitter`). Returns a function that
   * removes the listener.
   */
  on(event: 'open' | 'half-open' | 'close', listener: (event: CircuitEvent) => void): () => void
  /**
   * Without a pool: runs fn if the circuit of `key` (the circuit's key, as the
   * `key` option would return it) lets it (else rejects with
   * CircuitOpenError, or waits until half-open with whenOpen 'hold' — then it
   * needs a clock whose timers fire), times it with the clock, reports the
   * outcome. It competes for probe places with the pools' tasks, without the
   * most-time-left preference (it has no task).
   */
  execute<T>(key: string | undefined, fn: () => T | PromiseLike<T>): Promise<T>
  /** Closes the circuit of `key` (every circuit when left out) and clears its counts. */
  reset(key?: string): void
  /** Task starts let through without a circuit because `maxKeys` circuits were all busy. */
  readonly untracked: number
}

/**
 * Creates a circuit breaker to pass as a pool's `breaker`: it trips on
 * failures in a row or on a failure rate over a sliding window, rejects (or
 * holds) the tasks of an open circuit, and lets probes through once `openMs`
 * has passed to decide whether to close again. One circuit for every task,
 * one per task `key` with `keyed: true`, or one per value of a `key` function
 * (`key: (task) => task.labels?.provider`). Also usable alone, through
 * `execute(key, fn)`.
 * @param options - thresholds, window, timings and what to do while open; see {@link CircuitBreakerOptions}.
 * @returns A {@link CircuitBreaker}.
 * @example
 * ```ts
 * import { createPool } from '@poolkit/core'
 * import { createCircuitBreaker } from '@poolkit/breaker'
 *
 * const breaker = createCircuitBreaker({
 *   keyed: true,                       // one circuit per provider
 *   failureThreshold: 5,
 *   failureRateThreshold: 0.5,
 *   window: { type: 'time', ms: 60_000 },
 *   openMs: 10_000,
 *   backoff: { factor: 2, maxOpenMs: 300_000 },
 *   isFailure: (error) => !(error instanceof HttpError && error.status < 500),
 * })
 * breaker.on('open', (e) => log.warn(`${e.key} open until ${e.openUntil}`))
 * const pool = createPool({ handler: callProvider, concurrency: 32, breaker })
 * await pool.run(request, { key: 'provider-a' }) // rejects with CircuitOpenError while open
 * ```
 * @public
 */
export function createCircuitBreaker(options?: CircuitBreakerOptions): CircuitBreaker {
  return new CircuitBreakerImpl(options)
}
