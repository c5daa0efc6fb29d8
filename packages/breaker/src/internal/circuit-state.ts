// One circuit's state machine: closed, open and half-open, its permits and its counts.

import type { CircuitCounts, CircuitEvent, CircuitState } from '../circuit-breaker.js'
import type { ResolvedCircuitOptions } from './circuit-options.js'
import type { HeldTasks } from './circuit-held.js'
import { CountWindow, TimeWindow } from './circuit-window.js'
import type { Linked } from './order-list.js'
import type { SlidingWindow } from './circuit-window.js'

/** How a call that held a permit ended, as the circuit counts it. */
export type CircuitOutcome = 'success' | 'failure' | 'slow'

/**
 * A permit to run one call, taken in `acquire` and given back by its outcome or
 * its cancellation, as one number (no allocation per call): the circuit's phase
 * when it was taken, times 2, plus 1 for a half-open probe. An outcome from an
 * earlier phase changes no state.
 */
export type CircuitPermit = number

const phaseOf = (permit: CircuitPermit): number => Math.floor(permit / 2)
const isProbe = (permit: CircuitPermit): boolean => permit % 2 === 1

/** A change of state, to report as a {@link CircuitEvent}. */
export type CircuitTransition = Omit<CircuitEvent, 'key'>

/** The state of one key's circuit (or of the only circuit, when not keyed). */
export class Circuit implements Linked<Circuit> {
  state: CircuitState = 'closed'
  /** Bumped on every change of state and on reset: permits of an older phase are stale. */
  phase = 0
  /** When an open circuit lets probes through; -1 unless open. */
  openUntil = -1
  /** Permits out (calls acquired and not yet reported), of every phase. */
  inFlight = 0
  /** The last acquire or outcome, for idle eviction. */
  lastUsed: number
  /**
   * Half-open: when the earliest probe cancelled while it ran counts as a
   * failed probe (its start + `cancelledProbeMs`); `Infinity` when none is.
   */
  probeDue = Infinity
  /** The tasks it holds (whenOpen 'hold'), made on first hold; empty while closed. */
  held: HeldTasks | undefined = undefined
  // Its place in the keyed table's eviction order (circuit-keys.ts).
  prev: Circuit | undefined = undefined
  next: Circuit | undefined = undefined
  listed = false

  private consecutive = 0
  private openMs: number
  private probesOut = 0
  private probeSuccesses = 0
  private readonly window: SlidingWindow

  // Counts since creation or the last reset().
  private calls = 0
  private successes = 0
  private failures = 0
  private slowCalls = 0
  rejected = 0
  private trips = 0

  constructor(
    /** Its key; changes only when an evicted circuit is renewed for another key. */
    public key: string | undefined,
    private readonly o: ResolvedCircuitOptions,
    now: number,
  ) {
    this.lastUsed = now
    this.openMs = o.openMs
    this.window = o.window.type === 'count' ? new CountWindow(o.window.size) : new TimeWindow(o.window.ms)
  }

  /**
   * Makes this circuit, just evicted (closed, no call out, so nothing refers
   * to it), the new circuit of `key`, as a new one would be: a keyed breaker at
   * its cap takes over the evicted record rather than allocating one per new key.
   */
  renew(key: string | undefined, now: number): void {
    this.key = key
    this.lastUsed = now
    this.phase++
    this.probesOut = this.probeSuccesses = 0
    this.probeDue = Infinity
    this.calls = this.successes = this.failures = this.slowCalls = this.rejected = this.trips = 0
    this.clearClosed()
  }

  /**
   * What time alone moves: open turns half-open once `openUntil` has come, and
   * half-open opens again once a cancelled probe is due (as of that time, so
   * the open time does not depend on when the circuit is next looked at).
   * Call it until it returns `undefined`: a due probe seen late may be
   * followed by the end of the open time it started.
   */
  refresh(now: number): CircuitTransition | undefined {
    if (this.state === 'open' && now >= this.openUntil) return this.move('half-open', now, 'open-elapsed')
    if (this.state === 'half-open' && now >= this.probeDue) {
      this.openMs = Math.min(this.openMs * this.o.backoffFactor, this.o.maxOpenMs)
      return this.move('open', this.probeDue, 'probe-cancelled')
    }
    return undefined
  }

  /** Half-open with a probe place free. */
  get probePlaceFree(): boolean {
    return this.state === 'half-open' && this.probesOut < this.o.halfOpenMax
  }

  /** A permit for one call, or `undefined` when the circuit is open or its probes are all out (refresh first). */
  acquire(): CircuitPermit | undefined {
    if (this.state === 'open') return undefined
    const probe = this.state === 'half-open'
    if (probe) {
      if (this.probesOut >= this.o.halfOpenMax) return undefined
      this.probesOut++
    }
    this.inFlight++
    return this.phase * 2 + (probe ? 1 : 0)
  }

  /** Whether `permit` is a probe of the current half-open phase (its return frees a probe place). */
  isLiveProbe(permit: CircuitPermit): boolean {
    return isProbe(permit) && phaseOf(permit) === this.phase
  }

  /** Counts the outcome of a permit's call and moves the state if it says so. */
  record(permit: CircuitPermit, outcome: CircuitOutcome, now: number): CircuitTransition | undefined {
    this.inFlight--
    this.lastUsed = now
    this.calls++
    if (outcome === 'success') this.successes++
    else if (outcome === 'failure') this.failures++
    else this.slowCalls++
    // A call let through before the last change of state (or reset) says nothing about the new one.
    if (phaseOf(permit) !== this.phase) return undefined
    const bad = outcome !== 'success'
    if (this.state === 'half-open') {
      this.probesOut--
      if (bad) {
        this.openMs = Math.min(this.openMs * this.o.backoffFactor, this.o.maxOpenMs)
        return this.move('open', now, 'probe-failed')
      }
      if (++this.probeSuccesses >= this.o.successThreshold) return this.move('closed', now, 'probes-succeeded')
      return undefined
    }
    // Closed (an open circuit has no permits of its own phase).
    this.window.record(now, bad)
    this.consecutive = bad ? this.consecutive + 1 : 0
    if (bad && this.consecutive >= this.o.failureThreshold) return this.move('open', now, 'consecutive-failures')
    const threshold = this.o.failureRateThreshold
    if (threshold !== undefined) {
      const calls = this.window.calls(now)
      if (calls >= this.o.minimumCalls && this.window.bad(now) / calls >= threshold) return this.move('open', now, 'failure-rate')
    }
    return undefined
  }

  /**
   * A permit's call was cancelled: it counts neither way. A live probe that
   * never ran gives its place back; one that ran (`startedAt`, its start, is
   * not -1) may have reached the provider and told nothing, so it keeps its
   * place until `startedAt + cancelledProbeMs` (now, if that has passed), when it counts as a failed
   * probe (see `refresh`) unless another probe decided first.
   */
  cancel(permit: CircuitPermit, now: number, startedAt: number): void {
    this.inFlight--
    this.lastUsed = now
    if (!this.isLiveProbe(permit)) return
    if (startedAt < 0) this.probesOut--
    // Not before now: a cancellation seen late (or cancelledProbeMs 0) fails the half-open as of now, never in the past.
    else this.probeDue = Math.min(this.probeDue, Math.max(now, startedAt + this.o.cancelledProbeMs))
  }

  /** Closes the circuit and clears every count; the transition when it was not closed. */
  reset(now: number): CircuitTransition | undefined {
    this.calls = this.successes = this.failures = this.slowCalls = this.rejected = this.trips = 0
    if (this.state !== 'closed') return this.move('closed', now, 'reset')
    this.phase++
    this.clearClosed()
    return undefined
  }

  /** Closed with no permit out: forgetting it loses nothing but its counts. */
  get evictable(): boolean {
    return this.state === 'closed' && this.inFlight === 0
  }

  counts(now: number): CircuitCounts {
    const windowCalls = this.window.calls(now)
    return {
      state: this.state,
      calls: this.calls,
      successes: this.successes,
      failures: this.failures,
      slowCalls: this.slowCalls,
      rejected: this.rejected,
      trips: this.trips,
      openUntil: this.openUntil,
      windowCalls,
      windowFailureRate: windowCalls === 0 ? 0 : this.window.bad(now) / windowCalls,
    }
  }

  private move(to: CircuitState, now: number, reason: NonNullable<CircuitEvent['reason']>): CircuitTransition {
    const from = this.state
    this.state = to
    this.phase++
    this.probesOut = 0
    this.probeSuccesses = 0
    this.probeDue = Infinity
    if (to === 'open') {
      this.trips++
      this.openUntil = now + this.openMs
    } else {
      this.openUntil = -1
      if (to === 'closed') this.clearClosed()
    }
    return { from, to, at: now, openUntil: this.openUntil, reason }
  }

  private clearClosed(): void {
    this.consecutive = 0
    this.window.clear()
    this.openMs = this.o.openMs
  }
}
