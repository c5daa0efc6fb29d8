import type { Clock, TimerHandle } from '../clock.js'
import type { Executor, WorkerExit, WorkerHandle } from '../contracts/executor.js'
import type { WorkerExitReason, WorkerInfo } from '../contracts/observer.js'
import type { WorkerCounts, WorkerStatus } from '../contracts/snapshot.js'
import { PoolClosedError, WorkerExitError, WorkerStartError } from '../errors.js'
import type { Lifecycle } from './pool-core.js'
import { EXITED, READY, room, STARTING, WorkerSlot } from './worker-slot.js'

const RESPAWN_INITIAL_MS = 100
const RESPAWN_MAX_MS = 5000

/** What the worker set reports: worker events for observers, and failures outside any task. */
export interface WorkerEvents {
  /** A worker became ready. */
  workerStarted(worker: WorkerInfo): void
  /** A worker left the pool. */
  workerExited(worker: WorkerInfo, reason: WorkerExitReason, error: unknown): void
  /** Something failed outside any task. */
  error(error: unknown): void
}

/** What the worker set needs from its pool. */
export interface WorkerSetHost {
  /** No worker starts once the pool is `'closed'`; a surplus worker is retired as it comes up only while the pool is `'open'`. */
  readonly lifecycle: Lifecycle
  /** Where worker events and failures go. */
  readonly notifier: WorkerEvents
  /** Capacity grew: start what waits. */
  dispatch(): void
  /** Starts failed too often in a row and no worker is left: the set stopped trying. */
  onNoWorkers(error: WorkerStartError): void
}

/**
 * The pool's workers: starting them (sync or async spawns), tracking free task
 * slots, replacing crashed ones, retrying failed starts with backoff on the
 * clock, and moving toward a target count without stopping a busy worker.
 */
export class WorkerSet<I, O> {
  /** Spare task slots over ready workers (read-only outside the set: a field, not a getter, for the hot path). */
  free = 0
  /** Live workers, starting ones included. */
  private readonly all: WorkerSlot<I, O>[] = []
  /** Ready workers running nothing, most recently freed last (one task per worker only). */
  private readonly idle: WorkerSlot<I, O>[] = []
  private starting = 0
  private wanted: number
  private nextId = 1
  private respawnTimer: TimerHandle | undefined
  private respawnDelay = RESPAWN_INITIAL_MS
  private readyWaiters: { resolve: () => void; reject: (error: unknown) => void }[] = []
  private readyError: Error | undefined = undefined
  private constructing = false
  /** Failed starts since the last worker became ready. */
  private failures = 0
  /** The worker's own error of the last failed start. */
  private lastStartError: unknown = undefined
  private gaveUp = false

  constructor(
    private readonly executor: Executor<I, O>,
    private readonly clock: Clock,
    readonly tasksPerWorker: number,
    target: number,
    private readonly maxStartFailures: number,
    private readonly host: WorkerSetHost,
  ) {
    this.wanted = target
  }

  /** The worker count the set moves toward. */
  get target(): number {
    return this.wanted
  }

  /**
   * Sets the worker count to move toward: starts workers, or retires idle ones
   * (busy ones retire as they finish). After the set gave up on failing
   * starts, this is how it tries again.
   */
  resize(target: number): void {
    this.wanted = target
    this.apply()
  }

  /** Starts the initial workers. */
  start(): void {
    this.constructing = true
    this.grow()
    this.constructing = false
  }

  counts(): WorkerCounts {
    let busy = 0
    let ready = 0
    for (const w of this.all) {
      if (w.state !== READY) continue
      ready++
      if (w.running > 0) busy++
    }
    return { total: this.all.length, busy, idle: ready - busy, starting: this.starting }
  }

  /** Each live worker with its measurements. */
  details(): WorkerStatus[] {
    return this.all.map((w) => {
      const measured = w.state === READY ? w.handle?.stats?.() : undefined
      return {
        id: w.id,
        state: w.state === READY ? 'ready' : 'starting',
        running: w.running,
        capacity: w.capacity,
        finished: w.finished,
        eventLoopUtilization: measured?.eventLoopUtilization,
        heapUsed: measured?.heapUsed,
      }
    })
  }

  /** Task slots on ready workers. */
  capacity(): number {
    let capacity = 0
    for (const w of this.all) if (w.state === READY) capacity += w.capacity
    return capacity
  }

  /** The mean event-loop utilization of the workers that report one; `undefined` when none does. */
  eventLoopUtilization(): number | undefined {
    let sum = 0
    let count = 0
    for (const worker of this.all) {
      const elu = worker.handle?.stats?.().eventLoopUtilization
      if (elu !== undefined) {
        sum += elu
        count++
      }
    }
    return count > 0 ? sum / count : undefined
  }

  /** Resolves when no worker is starting; rejects once the set gave up on failing starts. */
  ready(): Promise<void> {
    if (this.readyError !== undefined) return Promise.reject(this.readyError)
    if (this.settled()) return Promise.resolve()
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }))
  }

  /** The worker for the next task (there is free capacity): the last freed, or the least busy. */
  pick(): WorkerSlot<I, O> {
    if (this.tasksPerWorker === 1) return this.idle.pop()!
    let best: WorkerSlot<I, O> | undefined
    for (const w of this.all) {
      if (w.state !== READY || w.running >= w.capacity) continue
      if (best === undefined || w.running < best.running) best = w
      if (w.running === 0) break
    }
    return best!
  }

  /** Every worker of the pool: starting and ready. */
  live(): WorkerSlot<I, O>[] {
    return this.all.filter((w) => w.state !== EXITED)
  }

  /** Changes whenever a worker becomes ready or leaves (a selector's declines are asked about again). */
  generation = 0

  /** The array {@link candidates} fills, reused from one placement to the next while no other holds it. */
  private readonly offer: WorkerSlot<I, O>[] = []
  /** Whether a placement holds {@link offer} (a selector that runs a task re-enters: it gets an array of its own). */
  private offering = false

  /**
   * Workers with room for one more task, in an array the caller gives back with
   * {@link endOffer} once the placement is made: the next placement reuses it
   * (no array per task), unless one is still being made (a selector's
   * `select()` that submits a task), which gets an array of its own.
   */
  candidates(): WorkerSlot<I, O>[] {
    let out: WorkerSlot<I, O>[]
    if (this.offering) out = []
    else {
      out = this.offer
      this.offering = true
    }
    // One task per worker: the workers with room are the idle stack. With one of them (a busy
    // pool, where a worker frees up at a time), that one is the answer, in no order to keep.
    if (this.tasksPerWorker === 1 && this.idle.length === 1) {
      out[0] = this.idle[0]!
      if (out.length !== 1) out.length = 1
      return out
    }
    const all = this.all
    let n = 0
    for (let i = 0; i < all.length; i++) {
      const w = all[i]!
      if (w.state === READY && w.running < w.capacity) out[n++] = w
    }
    // Truncating costs a call into the runtime: only when there are fewer than last time.
    if (out.length !== n) out.length = n
    return out
  }

  /** A placement is done with the array {@link candidates} gave it. */
  endOffer(candidates: WorkerSlot<I, O>[]): void {
    if (candidates === this.offer) this.offering = false
  }

  /** When each idle ready worker became idle, oldest first (for scalers that retire workers idle for a while). */
  idleSinces(): number[] {
    const since: number[] = []
    for (const w of this.all) if (w.state === READY && w.running === 0) since.push(w.idleSince)
    return since.sort((a, b) => a - b)
  }

  /** Claims a task slot on `worker` (chosen by pick() or a selector). */
  claim(worker: WorkerSlot<I, O>, picked: boolean): void {
    if (!picked && this.tasksPerWorker === 1) this.takeIdle(worker)
    worker.running++
    this.free--
  }

  /** The executor's new capacity for one worker, clamped to 1..tasksPerWorker; more room dispatches at once. */
  private setCapacity(slot: WorkerSlot<I, O>, tasks: number): void {
    const capacity = tasks >= this.tasksPerWorker ? this.tasksPerWorker : tasks >= 1 ? Math.floor(tasks) : 1
    if (capacity === slot.capacity) return
    if (slot.state !== READY) {
      slot.capacity = capacity
      return
    }
    const before = room(slot)
    slot.capacity = capacity
    const after = room(slot)
    this.free += after - before
    if (after > before) this.host.dispatch()
  }

  /** Gives a task slot back (`now`: the caller's clock reading); retires the worker if the set is over its target and it is now idle. */
  release(worker: WorkerSlot<I, O>, now: number): void {
    worker.running--
    worker.finished++
    if (worker.state !== READY) return
    if (worker.running === 0) worker.idleSince = now
    // Below a capacity the executor lowered meanwhile, the slot stays taken.
    if (worker.running < worker.capacity) this.free++
    if (worker.running !== 0) return
    if (this.tasksPerWorker === 1) this.idle.push(worker)
    // Shrinking waits for busy workers: retire this one now that it is idle.
    if (this.all.length > this.wanted) void this.retire(worker, 'retired')
  }

  /** Moves the worker count toward the target (see resize()). */
  private apply(): void {
    if (this.gaveUp) {
      this.gaveUp = false
      this.failures = 0
      this.readyError = undefined
    }
    this.grow()
    if (this.all.length <= this.wanted) {
      this.host.dispatch()
      return
    }
    if (this.tasksPerWorker === 1) {
      // Longest idle first: the bottom of the idle stack.
      while (this.all.length > this.wanted && this.idle.length > 0) void this.retire(this.idle[0]!, 'retired')
    } else {
      for (const w of this.all.slice()) {
        if (this.all.length <= this.wanted) break
        if (w.state === READY && w.running === 0) void this.retire(w, 'retired')
      }
    }
  }

  /** Stops every worker (the pool closed); resolves when all are gone. */
  closeAll(): Promise<void> {
    if (!this.settled() && this.readyError === undefined) {
      // The workers will never be ready now: say why to whoever waits in ready().
      this.readyError = this.failures > 0 ? new WorkerStartError(this.failures, { cause: this.lastStartError }) : new PoolClosedError('The pool closed before its workers were ready')
      this.settleReady(this.readyError)
    }
    if (this.respawnTimer !== undefined) {
      this.clock.clearTimeout(this.respawnTimer)
      this.respawnTimer = undefined
    }
    const terminations = this.all.slice().map((w) => this.retire(w, 'closed'))
    this.free = 0
    this.idle.length = 0
    return Promise.all(terminations).then(() => undefined)
  }

  private retire(slot: WorkerSlot<I, O>, reason: WorkerExitReason): Promise<void> {
    if (slot.state === READY) {
      this.free -= room(slot)
      if (this.tasksPerWorker === 1) this.takeIdle(slot)
    } else if (slot.state === STARTING) {
      this.starting--
    }
    slot.state = EXITED
    this.remove(slot)
    this.host.notifier.workerExited(slot, reason, undefined)
    // A worker still starting is stopped when its spawn settles.
    return slot.spawning ?? this.terminate(slot)
  }

  /** Starts workers up to the target; stops at a spawn that throws at once (a timer retries it). */
  private grow(): void {
    while (this.all.length < this.wanted && !this.gaveUp) if (!this.spawn()) break
  }

  /** Asks the executor for a worker; false when spawn() threw at once. */
  private spawn(): boolean {
    const slot = new WorkerSlot<I, O>(this.nextId++, this.tasksPerWorker)
    this.all.push(slot)
    this.starting++
    let spawned: WorkerHandle<I, O> | Promise<WorkerHandle<I, O>>
    try {
      spawned = this.executor.spawn({
        workerId: slot.id,
        onExit: (exit) => this.onExit(slot, exit),
        setCapacity: (tasks) => this.setCapacity(slot, tasks),
        clock: this.clock,
      })
    } catch (error) {
      this.onSpawnFailed(slot, error)
      return false
    }
    if (typeof (spawned as Promise<WorkerHandle<I, O>>).then === 'function') {
      slot.spawning = (spawned as Promise<WorkerHandle<I, O>>).then(
        (handle) => this.onReady(slot, handle),
        (error: unknown) => this.onSpawnFailed(slot, error),
      )
    } else {
      void this.onReady(slot, spawned as WorkerHandle<I, O>)
    }
    return true
  }

  private onReady(slot: WorkerSlot<I, O>, handle: WorkerHandle<I, O>): Promise<void> | undefined {
    slot.handle = handle
    slot.capabilities = capabilitiesOf(handle)
    slot.spawning = undefined
    // Retired or closed while it was starting (or it crashed first): stop it now.
    if (slot.state === EXITED) return this.terminate(slot)
    this.starting--
    if (this.host.lifecycle === 'closed') {
      slot.state = EXITED
      this.remove(slot)
      return this.terminate(slot)
    }
    slot.state = READY
    this.generation++
    slot.readyAt = this.clock.now()
    slot.idleSince = slot.readyAt
    this.free += slot.capacity
    if (this.tasksPerWorker === 1) this.idle.push(slot)
    this.respawnDelay = RESPAWN_INITIAL_MS
    this.failures = 0
    this.host.notifier.workerStarted(slot)
    this.readyError = undefined
    if (this.settled()) this.settleReady(undefined)
    if (this.all.length > this.wanted && this.host.lifecycle === 'open') this.apply()
    this.host.dispatch()
    return undefined
  }

  private onSpawnFailed(slot: WorkerSlot<I, O>, error: unknown): void {
    slot.spawning = undefined
    if (slot.state === EXITED) return
    slot.state = EXITED
    this.starting--
    this.remove(slot)
    this.report(error)
    this.onStartFailed(error)
  }

  /** Inside the pool's constructor nobody could have subscribed yet: report a tick later. */
  private report(error: unknown): void {
    if (this.constructing) queueMicrotask(() => this.host.notifier.error(error))
    else this.host.notifier.error(error)
  }

  /**
   * A worker failed to start (spawn failed, or it exited before it was ready):
   * retry with backoff, and after `maxStartFailures` in a row stop, failing
   * `ready()` with one `WorkerStartError` that carries the worker's own error.
   */
  private onStartFailed(error: unknown): void {
    if (this.gaveUp) {
      // A start that was already under way when the set gave up.
      if (this.all.length === 0) this.host.onNoWorkers(this.readyError as WorkerStartError)
      return
    }
    this.failures++
    this.lastStartError = error
    if (this.failures < this.maxStartFailures) {
      this.scheduleRespawn()
      return
    }
    this.gaveUp = true
    if (this.respawnTimer !== undefined) {
      this.clock.clearTimeout(this.respawnTimer)
      this.respawnTimer = undefined
    }
    const gaveUp = new WorkerStartError(this.failures, { cause: error })
    this.readyError = gaveUp
    this.settleReady(gaveUp)
    this.report(gaveUp)
    if (this.all.length === 0) this.host.onNoWorkers(gaveUp)
  }

  private onExit(slot: WorkerSlot<I, O>, exit: WorkerExit): void {
    if (slot.state === EXITED) return
    const wasReady = slot.state === READY
    slot.state = EXITED
    this.remove(slot)
    if (wasReady) {
      this.free -= room(slot)
      if (this.tasksPerWorker === 1) this.takeIdle(slot)
    } else {
      this.starting--
    }
    const reason = exit.reason ?? 'crashed'
    const failure = reason === 'crashed' || reason === 'unresponsive' || !wasReady
    const error = failure ? new WorkerExitError({ workerId: slot.id, exitCode: exit.exitCode, signal: exit.signal, cause: exit.error }) : exit.error
    this.host.notifier.workerExited(slot, reason, error)
    if (failure) this.host.notifier.error(error)
    if (!wasReady) {
      this.onStartFailed(exit.error ?? error)
      return
    }
    if (this.gaveUp) {
      if (this.all.length === 0) this.host.onNoWorkers(this.readyError as WorkerStartError)
      return
    }
    if (this.host.lifecycle !== 'closed' && this.all.length < this.wanted) this.spawn()
  }

  private scheduleRespawn(): void {
    if (this.host.lifecycle === 'closed' || this.respawnTimer !== undefined || this.all.length >= this.wanted) return
    const delay = this.respawnDelay
    this.respawnDelay = Math.min(RESPAWN_MAX_MS, this.respawnDelay * 2)
    // Not unref'd: with no worker alive, this timer is all that moves ready(),
    // the tasks waiting for a worker and close() toward an outcome (a start, or
    // WorkerStartError after maxStartFailures). closeAll() clears it.
    this.respawnTimer = this.clock.setTimeout(() => {
      this.respawnTimer = undefined
      if (this.host.lifecycle !== 'closed') this.grow()
    }, delay)
  }

  /** No worker is starting and no failed start waits to be retried. */
  private settled(): boolean {
    return this.starting === 0 && this.respawnTimer === undefined
  }

  /** Resolves the `ready()` callers, or rejects them when the set gave up. */
  private settleReady(error: unknown): void {
    const waiters = this.readyWaiters
    this.readyWaiters = []
    for (const w of waiters) error === undefined ? w.resolve() : w.reject(error)
  }

  private remove(slot: WorkerSlot<I, O>): void {
    const i = this.all.indexOf(slot)
    if (i !== -1) this.all.splice(i, 1)
    this.generation++
  }

  /** Takes a worker out of the idle stack, wherever it is in it, keeping the others' order (no array allocated, as splice() would). */
  private takeIdle(worker: WorkerSlot<I, O>): void {
    const idle = this.idle
    // Mostly the worker freed last, on top.
    if (idle[idle.length - 1] === worker) {
      idle.pop()
      return
    }
    const i = idle.lastIndexOf(worker)
    if (i === -1) return
    for (let j = i + 1; j < idle.length; j++) idle[j - 1] = idle[j]!
    idle.pop()
  }

  private terminate(slot: WorkerSlot<I, O>): Promise<void> {
    if (slot.handle === undefined) return Promise.resolve()
    try {
      return slot.handle.terminate().then(undefined, (error: unknown) => this.host.notifier.error(error))
    } catch (error) {
      this.host.notifier.error(error)
      return Promise.resolve()
    }
  }
}

/** A handle's capabilities, checked (they come from an executor or a worker's setup) and frozen. */
function capabilitiesOf(handle: WorkerHandle<unknown, unknown>): readonly string[] {
  const declared = handle.capabilities
  if (declared === undefined) return NO_CAPABILITIES
  if (!Array.isArray(declared) || !declared.every((c) => typeof c === 'string')) return NO_CAPABILITIES
  return declared.length === 0 ? NO_CAPABILITIES : Object.freeze([...new Set(declared as string[])])
}

const NO_CAPABILITIES: readonly string[] = Object.freeze([])
