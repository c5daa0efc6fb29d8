// The circuit breaker itself: finds the task's circuit, turns its answers into
// the pool's denials, reports changes of state and wakes what it held.

import type { BreakerDenial, Clock, TaskInfo } from '@poolkit/core'
import { Emitter, rethrowLater } from '@poolkit/core/emitter'
import type { CircuitBreaker, CircuitBreakerOptions, CircuitCounts, CircuitEvent, CircuitState } from '../circuit-breaker.js'
import { circuitOpenError } from './circuit-error.js'
import { HeldTasks, isYounger } from './circuit-held.js'
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
  /**
   * With a key function, the circuit of each permit out: found again without
   * asking the function, so an answer that changed cannot strand a permit.
   */
  private readonly permitCircuits = new Map<TaskInfo, Circuit>()
  /** Probes out, by task: the task's `startedAt` when it acquired, to tell at a cancel whether it ran since. */
  private readonly probeStarts = new Map<TaskInfo, number>()
  /** Tasks held by every circuit together: a settle skips the lookup while none is. */
  private heldTotal = 0
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
    const circuit = this.circuits.get(this.circuitKeyOf(task))
    if (circuit === undefined || circuit.state === 'closed') return undefined
    const now = this.clock.now()
    this.refresh(circuit, now)
    return circuit.state === 'open' ? this.deny(circuit, now, task) : undefined
  }

  acquire(task: TaskInfo): BreakerDenial | undefined {
    // The task's enqueue time stands for now where only idle eviction reads it:
    // a closed circuit's acquire reads no clock.
    const circuit = this.circuits.obtain(this.circuitKeyOf(task), task.enqueuedAt)
    if (circuit === undefined) {
      this.untrackedCount++
      return undefined
    }
    if (circuit.held !== undefined && circuit.held.delete(task)) this.heldTotal--
    if (circuit.state !== 'closed') {
      const now = this.clock.now()
      this.refresh(circuit, now)
      // A free probe place goes to the youngest task held: it has the most of
      // its caller's time left, where the oldest may be cancelled mid-probe.
      // The younger one was woken with the rest and is asked in this round.
      const youngest = circuit.probePlaceFree ? circuit.held?.youngest() : undefined
      if (youngest !== undefined && isYounger(youngest, task)) return this.deny(circuit, now, task)
    }
    const permit = circuit.acquire()
    if (permit === undefined) return this.deny(circuit, this.clock.now(), task)
    this.permits.set(task, permit)
    if (this.o.key !== undefined) this.permitCircuits.set(task, circuit)
    if (permit % 2 === 1) this.probeStarts.set(task, task.startedAt)
    return undefined
  }

  onSuccess(task: TaskInfo, runMs: number): void {
    const circuit = this.takePermit(task)
    if (circuit === undefined) return
    this.record(circuit, this.taken, runMs > this.o.slowCallMs ? 'slow' : 'success', this.endOf(task, runMs))
  }

  onFailure(task: TaskInfo, error: unknown, runMs: number): undefined {
    const circuit = this.takePermit(task)
    if (circuit === undefined) return undefined
    this.record(circuit, this.taken, this.outcomeOf(error, runMs), this.endOf(task, runMs))
    return undefined
  }

  onCancel(task: TaskInfo): void {
    const startedAtAcquire = this.probeStarts.get(task)
    const circuit = this.takePermit(task)
    if (circuit === undefined) return
    const permit = this.taken
    const now = this.clock.now()
    const live = circuit.isLiveProbe(permit)
    // The pool started the probe since it acquired (a probe a later policy of
    // a combine() refused never was), and the attempt then ran (a worker that
    // died first reports no end): then it may have reached the provider.
    const started = live && task.startedAt !== startedAtAcquire && task.startedAt >= 0
    const ran = started && (task.endedAt === undefined || task.endedAt >= task.startedAt)
    circuit.cancel(permit, now, ran ? task.startedAt : -1)
    this.circuits.released(circuit, now)
    // A freed place lets a held task probe; an unresolved one gives the held
    // tasks a time to ask again (when it becomes a failed probe). A probe a
    // later policy refused wakes nothing: that would bring the key's tasks
    // back into the very dispatch that refused it, round and round; it asks
    // again when that policy lets it, and onSettled wakes if it never does.
    if (started) this.wake(circuit)
    // The refused probe is held as well (by that policy): it stays a candidate for the next probe.
    else if (live && this.o.whenOpen === 'hold' && (circuit.held ??= new HeldTasks()).add(task)) this.heldTotal++
  }

  /**
   * A task this breaker admitted has settled: it is no longer held. While a
   * probe place is free, the tasks held may have been waiting for it (the
   * youngest, or a probe another policy refused): they are woken to choose again.
   */
  onSettled(task: TaskInfo): void {
    if (this.heldTotal === 0) return
    const circuit = this.circuits.get(this.circuitKeyOf(task))
    const held = circuit?.held
    if (held === undefined || held.size === 0) return
    if (held.delete(task)) this.heldTotal--
    if (circuit!.probePlaceFree && held.size > 0) this.wake(circuit!)
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
      if (circuit.state !== 'closed') this.refresh(circuit, this.clock.now())
      permit = circuit.acquire()
      if (permit !== undefined) break
      const denial = this.deny(circuit, this.clock.now(), undefined, key)
      // A denial that does not hold always carries its CircuitOpenError.
      if (denial.hold !== true) throw denial.error!
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

  /** The permit `takePermit` took last (a field, so an outcome allocates nothing). */
  private taken: CircuitPermit = 0

  /** The circuit the task's permit belongs to, with the permit in `taken`; both forgotten here. `undefined` when the task holds none. */
  private takePermit(task: TaskInfo): Circuit | undefined {
    const permit = this.permits.get(task)
    if (permit === undefined) return undefined
    this.permits.delete(task)
    this.taken = permit
    if (permit % 2 === 1) this.probeStarts.delete(task)
    if (this.o.key === undefined) return this.circuits.get(task.key)!
    const circuit = this.permitCircuits.get(task)!
    this.permitCircuits.delete(task)
    return circuit
  }

  /** The key of the task's circuit: what the key function says, else the task's `key` (unused when not keyed). */
  private circuitKeyOf(task: TaskInfo): string | undefined {
    return this.o.key === undefined ? task.key : this.o.keyed ? this.o.key(task) : undefined
  }

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
    else if (freesProbe) this.wake(circuit)
  }

  /**
   * The denial for a task of an open circuit, or of a half-open one whose probe
   * places are taken (or kept for a younger task). `task` is the task denied
   * (a held one is remembered), `executeKey` the key given to execute().
   */
  private deny(circuit: Circuit, now: number, task: TaskInfo | undefined, executeKey?: string): BreakerDenial {
    const open = circuit.state === 'open'
    // Half-open and full: a probe's outcome frees a place, and that wakes the
    // key; a cancelled probe decides by probeDue at the latest.
    const retryAt = open ? circuit.openUntil : circuit.probeDue
    if (this.o.whenOpen === 'hold') {
      if (task !== undefined && (circuit.held ??= new HeldTasks()).add(task)) this.heldTotal++
      return { retryAt, hold: true }
    }
    circuit.rejected++
    const at = open || retryAt !== Infinity ? retryAt : now
    const key = this.o.keyed ? circuit.key : task === undefined ? executeKey : task.key
    return { retryAt: at, error: circuitOpenError(this.o.keyed, key, circuit.state, at, now) }
  }

  private refresh(circuit: Circuit, now: number): void {
    // Seen from inside admit/acquire (or state()): the pools' hold timers at
    // openUntil (or a cancelled probe's due time) already bring their tasks
    // back, so the wake need not re-enter the pool synchronously. A probe due
    // long ago may reopen and half-open again in one look.
    for (let transition = circuit.refresh(now); transition !== undefined; transition = circuit.refresh(now)) {
      this.transitioned(circuit, transition, false)
    }
  }

  /** Reports a change of state to listeners, then wakes what the circuit held. */
  private transitioned(circuit: Circuit, transition: CircuitTransition, wakeNow: boolean): void {
    const event: CircuitEvent = { key: circuit.key, ...transition }
    this.events.emit(EVENT_OF[transition.to], [event])
    // A circuit that closes, half-opens or re-opens lets held tasks in or gives
    // them a new retryAt; a closed one held nothing, nor does one that rejects.
    if (transition.from === 'closed' || this.o.whenOpen !== 'hold') return
    if (wakeNow) this.wake(circuit)
    else queueMicrotask(() => this.wake(circuit))
    // A closed circuit holds nothing: every task it held was just woken.
    if (transition.to === 'closed') this.forgetHeld(circuit)
  }

  /** Tells every attached pool, and every waiting execute(), that tasks of the circuit may be asked about again. */
  private wake(circuit: Circuit): void {
    // With whenOpen 'reject' the circuit holds nothing.
    if (this.o.whenOpen !== 'hold') return
    // Without a key function the circuit's key is its tasks' key (or undefined: every key).
    if (this.o.key === undefined || !this.o.keyed) this.wakes.wake(circuit.key)
    else this.wakes.wake(circuit.key, circuit.held === undefined ? new Set() : circuit.held.taskKeys())
  }

  private forgetHeld(circuit: Circuit): void {
    if (circuit.held === undefined) return
    this.heldTotal -= circuit.held.size
    circuit.held.clear()
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
