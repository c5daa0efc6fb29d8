// The circuit breaker itself: finds the task's circuit, turns its answers into
// the pool's denials, reports changes of state and wakes what it held.

import { CircuitOpenError } from '@poolkit/core'
import type { BreakerDenial, Clock, TaskInfo } from '@poolkit/core'
import { Emitter, rethrowLater } from '@poolkit/core/emitter'
import type { CircuitBreaker, CircuitBreakerOptions, CircuitCounts, CircuitEvent, CircuitState } from '../circuit-breaker.js'
import { CircuitKeys } from './circuit-keys.js'
import { resolveCircuitOptions } from './circuit-options.js'
import type { ResolvedCircuitOptions } from './circuit-options.js'
import type { Circuit, CircuitOutcome, CircuitPermit, CircuitTransition } from './circuit-state.js'
import { CircuitWakes } from './circuit-wake.js'

type EventName = 'open' | 'half-open' | 'close'
type Listener = (event: CircuitEvent) => void
/** No 'error' event: a listener's throw is rethrown in a microtask (core's emitter rule). */
type CircuitEvents = Record<EventName, Listener>

const EVENT_OF: Record<CircuitState, EventName> = { open: 'open', 'half-open': 'half-open', closed: 'close' }
const EVENTS: readonly string[] = ['open', 'half-open', 'close']

/** The circuit breaker behind `createCircuitBreaker()`. */
export class CircuitBreakerImpl implements CircuitBreaker {
  private readonly o: ResolvedCircuitOptions
  private readonly clock: Clock
  private readonly circuits: CircuitKeys
  private readonly wakes: CircuitWakes
  /** Permits out, by task: the number `Circuit.acquire` gave (its circuit is found again by the task's key). */
  private readonly permits = new Map<TaskInfo, CircuitPermit>()
  /** Whether an outcome needs the time it ended: a slow-call limit or a time window. */
  private readonly timed: boolean
  private readonly events = new Emitter<CircuitEvents>()
  private untrackedCount = 0

  constructor(options: CircuitBreakerOptions | undefined) {
    this.o = resolveCircuitOptions(options)
    this.clock = this.o.clock
    this.circuits = new CircuitKeys(this.o)
    this.wakes = new CircuitWakes(this.clock)
    this.timed = this.o.slowCallMs !== Infinity || this.o.window.type === 'time'
  }

  get untracked(): number {
    return this.untrackedCount
  }

  attach(wake: (key: string | undefined) => void): void {
    this.wakes.attach(wake)
  }

  admit(task: TaskInfo): BreakerDenial | undefined {
    // A key with no circuit yet is closed: nothing to create until a task starts.
    // A closed circuit needs no time: the clock is read only when it is not.
    const circuit = this.circuits.get(task.key)
    if (circuit === undefined || circuit.state === 'closed') return undefined
    const now = this.clock.now()
    this.refresh(circuit, now)
    return circuit.state === 'open' ? this.deny(circuit, now) : undefined
  }

  acquire(task: TaskInfo): BreakerDenial | undefined {
    // The task's enqueue time stands for now where only idle eviction reads it:
    // a closed circuit's acquire reads no clock.
    const circuit = this.circuits.obtain(task.key, task.enqueuedAt)
    if (circuit === undefined) {
      this.untrackedCount++
      return undefined
    }
    if (circuit.state === 'open') this.refresh(circuit, this.clock.now())
    const permit = circuit.acquire()
    if (permit === undefined) return this.deny(circuit, this.clock.now())
    this.permits.set(task, permit)
    return undefined
  }

  onSuccess(task: TaskInfo, runMs: number): void {
    const permit = this.permits.get(task)
    if (permit === undefined) return
    this.permits.delete(task)
    this.record(this.circuits.get(task.key)!, permit, runMs > this.o.slowCallMs ? 'slow' : 'success', this.endOf(task, runMs))
  }

  onFailure(task: TaskInfo, error: unknown, runMs: number): undefined {
    const permit = this.permits.get(task)
    if (permit === undefined) return undefined
    this.permits.delete(task)
    this.record(this.circuits.get(task.key)!, permit, this.outcomeOf(error, runMs), this.endOf(task, runMs))
    return undefined
  }

  onCancel(task: TaskInfo): void {
    const permit = this.permits.get(task)
    if (permit === undefined) return
    this.permits.delete(task)
    this.cancel(this.circuits.get(task.key)!, permit)
  }

  private cancel(circuit: Circuit, permit: CircuitPermit): void {
    const freesProbe = circuit.isLiveProbe(permit)
    const now = this.clock.now()
    circuit.cancel(permit, now)
    this.circuits.released(circuit, now)
    if (freesProbe) this.wake(circuit.key)
  }

  state(key?: string): CircuitState {
    const circuit = this.circuits.get(key)
    if (circuit === undefined) return 'closed'
    this.refresh(circuit, this.clock.now())
    return circuit.state
  }

  counts(key?: string): CircuitCounts {
    const circuit = this.circuits.get(key)
    if (circuit === undefined) return EMPTY_COUNTS
    const now = this.clock.now()
    this.refresh(circuit, now)
    return circuit.counts(now)
  }

  keys(): string[] {
    return this.circuits.keys(this.clock.now()).filter((k): k is string => k !== undefined)
  }

  on(event: EventName, listener: Listener): () => void {
    if (!EVENTS.includes(event)) throw new TypeError(`event must be one of 'open', 'half-open', 'close', got ${String(event)}`)
    if (typeof listener !== 'function') throw new TypeError(`listener must be a function, got ${typeof listener}`)
    return this.events.on(event, listener)
  }

  reset(key?: string): void {
    const now = this.clock.now()
    const circuits = key === undefined ? [...this.circuits.all()] : [this.circuits.get(key)]
    for (const circuit of circuits) {
      if (circuit === undefined) continue
      const transition = circuit.reset(now)
      this.circuits.released(circuit, now)
      if (transition !== undefined) this.transitioned(circuit, transition, true)
    }
  }

  async execute<T>(key: string | undefined, fn: () => T | PromiseLike<T>): Promise<T> {
    if (typeof fn !== 'function') throw new TypeError(`fn must be a function, got ${typeof fn}`)
    // The pool path without a pool: no task record, the permit held here.
    let circuit: Circuit | undefined
    let permit: CircuitPermit | undefined
    for (;;) {
      circuit = this.circuits.obtain(key, this.o.keyed ? this.clock.now() : 0)
      if (circuit === undefined) {
        this.untrackedCount++
        return await fn()
      }
      if (circuit.state === 'open') this.refresh(circuit, this.clock.now())
      permit = circuit.acquire()
      if (permit !== undefined) break
      const denial = this.deny(circuit, this.clock.now())
      if (denial.hold !== true) throw new CircuitOpenError(key, denial.retryAt)
      await this.wakes.waitFor(this.circuits.keyOf(key), denial.retryAt)
    }
    const startedAt = this.timed ? this.clock.now() : 0
    let value: T
    try {
      value = await fn()
    } catch (error) {
      const now = this.clock.now()
      this.record(circuit, permit, this.outcomeOf(error, now - startedAt), now)
      throw error
    }
    // A success moves nothing in a closed circuit: read the clock only when the
    // time counts (slow calls, a time window, idle eviction) or a probe may close it.
    const now = this.timed || this.o.keyed || circuit.state !== 'closed' ? this.clock.now() : circuit.lastUsed
    this.record(circuit, permit, this.timed && now - startedAt > this.o.slowCallMs ? 'slow' : 'success', now)
    return value
  }

  // ------------------------------------------------------------------ inside

  /** When an attempt that ran `runMs` ended: its start plus its run time, on the pool's clock (no clock read). */
  private endOf(task: TaskInfo, runMs: number): number {
    return task.startedAt >= 0 ? task.startedAt + runMs : this.clock.now()
  }

  /** How a failure counts: `isFailure` says whether it is the provider's fault; one that is not may still be slow. */
  private outcomeOf(error: unknown, runMs: number): CircuitOutcome {
    let counts = true
    if (this.o.isFailure !== undefined) {
      try {
        counts = this.o.isFailure(error) === true
      } catch (thrown) {
        rethrowLater(thrown)
      }
    }
    return counts ? 'failure' : runMs > this.o.slowCallMs ? 'slow' : 'success'
  }

  private record(circuit: Circuit, permit: CircuitPermit, outcome: CircuitOutcome, now: number): void {
    const freesProbe = circuit.isLiveProbe(permit)
    const transition = circuit.record(permit, outcome, now)
    this.circuits.released(circuit, now)
    if (transition !== undefined) this.transitioned(circuit, transition, true)
    else if (freesProbe) this.wake(circuit.key)
  }

  /** The denial for a task of an open circuit, or of a half-open one whose probe places are taken. */
  private deny(circuit: Circuit, now: number): BreakerDenial {
    const open = circuit.state === 'open'
    if (this.o.whenOpen === 'hold') {
      // Half-open and full: only a probe's outcome frees a place, and that wakes the key.
      return { retryAt: open ? circuit.openUntil : Infinity, hold: true }
    }
    circuit.rejected++
    return { retryAt: open ? circuit.openUntil : now }
  }

  private refresh(circuit: Circuit, now: number): void {
    const transition = circuit.refresh(now)
    // Seen from inside admit/acquire (or state()): the pools' hold timers at
    // openUntil already bring their tasks back, so the wake need not re-enter
    // the pool synchronously.
    if (transition !== undefined) this.transitioned(circuit, transition, false)
  }

  /** Reports a change of state to listeners, then wakes what the circuit held. */
  private transitioned(circuit: Circuit, transition: CircuitTransition, wakeNow: boolean): void {
    const event: CircuitEvent = { key: circuit.key, ...transition }
    this.events.emit(EVENT_OF[transition.to], [event])
    // A circuit that closes, half-opens or re-opens lets held tasks in or gives
    // them a new retryAt; a closed one held nothing, nor does one that rejects.
    if (transition.from === 'closed' || this.o.whenOpen !== 'hold') return
    if (wakeNow) this.wake(circuit.key)
    else queueMicrotask(() => this.wake(circuit.key))
  }

  /** Tells every attached pool, and every waiting execute(), that tasks of the circuit may be asked about again. */
  private wake(circuitKey: string | undefined): void {
    // With whenOpen 'reject' the circuit holds nothing.
    if (this.o.whenOpen === 'hold') this.wakes.wake(circuitKey)
  }
}

/** The counts of a key with no circuit. */
const EMPTY_COUNTS: CircuitCounts = Object.freeze({
  state: 'closed',
  calls: 0,
  successes: 0,
  failures: 0,
  slowCalls: 0,
  rejected: 0,
  trips: 0,
  openUntil: -1,
  windowCalls: 0,
  windowFailureRate: 0,
})
