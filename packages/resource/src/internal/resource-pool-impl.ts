import type { Clock, CollectedMetric } from '@poolkit/core'
import { Emitter } from '@poolkit/core/emitter'
import { ResourceAcquireTimeoutError, ResourcePoolDrainedError, TooManyWaitersError } from '../errors.js'
import type { ResourceLease } from '../lease.js'
import type { AcquireOptions, ResourcePoolOptions } from '../options.js'
import type { DestroyReason, ResourcePool, ResourcePoolEvents, ResourcePoolState, ResourcePoolStats } from '../resource-pool.js'
import { CreateFailures } from './create-failures.js'
import { Line } from './line.js'
import { Lease, type LeaseOwner } from './pool-lease.js'
import { poolMetrics } from './pool-metrics.js'
import { checkAcquireOptions, resolvePoolOptions, type ResolvedPoolOptions } from './pool-options.js'
import { Waiter } from './pool-waiter.js'
import { Slot } from './slot.js'
import { isThenable } from './thenable.js'
import { setTimer, Timer } from './timers.js'
import * as check from './validate.js'

const EVENTS: readonly (keyof ResourcePoolEvents<unknown>)[] = ['create', 'destroy', 'error']

export class ResourcePoolImpl<T> implements ResourcePool<T>, LeaseOwner<T> {
  readonly name: string
  private readonly o: ResolvedPoolOptions<T>
  private readonly clock: Clock
  private readonly events = new Emitter<ResourcePoolEvents<T>>((error) => [error, 'listener'])
  private state: ResourcePoolState = 'open'

  // Idle resources as a stack: lend the most recently returned, so the others
  // age out. Pushes happen in time order, so the bottom is the longest idle.
  private readonly idle: Slot<T>[] = []
  private readonly line = new Line<Waiter<T>>()
  private borrowed = 0
  private creating = 0
  /** Resources under validation (for a waiter, or on return). */
  private checkingSlots = 0
  /** Waiters in line with a resource under validation for them. */
  private checkingWaiters = 0
  /** `destroy` calls whose promise has not settled. */
  private destroying = 0

  private created = 0
  private destroyed = 0
  private createErrors = 0
  private acquires = 0
  private hits = 0
  private misses = 0
  private rejected = 0
  private served = 0
  private waitTotal = 0
  private waitMax = 0

  /** While creates fail: one at a time, not before `failures.retryAt`. */
  private readonly failures: CreateFailures

  // Liveness (DESIGN.md): a timer that a waiting acquire depends on keeps the
  // process alive while it waits; the others are housekeeping and unref'd.
  /** The shared timeout of the waiters with the pool's `acquireTimeoutMs`: exists only while one waits, so always kept alive. */
  private readonly lineTimer: Timer
  /** Waiters in line that {@link ResourcePoolImpl.lineTimer} times out. */
  private lineTimed = 0
  /** Idle eviction and lifetime ends of idle resources: housekeeping that no acquire waits on, never kept alive. */
  private readonly sweepTimer: Timer
  /** The next create attempt after failures: kept alive while acquires wait (it may be what they wait for), not when it only restores `min`. */
  private readonly backoffTimer: Timer

  private dispatching = false
  private dispatchAgain = false
  private drainPromise: Promise<void> | undefined = undefined
  private drainResolve: (() => void) | undefined = undefined

  constructor(options: ResourcePoolOptions<T>) {
    this.o = resolvePoolOptions(options)
    this.name = this.o.name
    this.clock = this.o.clock
    this.failures = new CreateFailures(this.o.backoff)
    this.lineTimer = new Timer(this.clock, () => this.onLineTimer())
    this.sweepTimer = new Timer(this.clock, () => this.sweep())
    this.backoffTimer = new Timer(this.clock, () => this.dispatch())
    // Warm up to `min`.
    this.dispatch()
  }

  // ---------------------------------------------------------------- lending

  acquire(options?: AcquireOptions): Promise<ResourceLease<T>> {
    let signal: AbortSignal | undefined
    let timeoutMs = this.o.acquireTimeoutMs
    if (options !== undefined) {
      checkAcquireOptions('options', options)
      signal = options.signal
      if (options.timeoutMs !== undefined) timeoutMs = options.timeoutMs
    }
    this.acquires++
    if (this.state !== 'open') {
      this.rejected++
      return Promise.reject(new ResourcePoolDrainedError())
    }
    if (signal !== undefined && signal.aborted) {
      this.rejected++
      return Promise.reject(signal.reason)
    }
    // The common case: nobody waiting, an idle resource at hand, nothing to check.
    if (this.line.length === 0 && this.o.validate === undefined && this.idle.length > 0) {
      const before = this.destroyed
      const slot = this.takeIdle()
      if (slot !== undefined) {
        this.hits++
        this.served++
        const lease = this.lend(slot)
        // Resources retired on the way (past their lifetime) may need replacing to keep `min`.
        if (this.destroyed !== before) this.dispatch()
        return Promise.resolve(lease)
      }
    }
    return new Promise<ResourceLease<T>>((resolve, reject) => this.wait(resolve, reject, timeoutMs, signal))
  }

  async use<R>(fn: (resource: T, lease: ResourceLease<T>) => R | PromiseLike<R>, options?: AcquireOptions): Promise<R> {
    const lease = await this.acquire(options)
    const signal = options?.signal
    // The signal may have aborted as the lease was on its way: give it back unused.
    if (signal !== undefined && signal.aborted) {
      lease.release()
      throw signal.reason
    }
    try {
      return await fn(lease.resource, lease)
    } finally {
      if (!lease.released) lease.release()
    }
  }

  private wait(resolve: (lease: ResourceLease<T>) => void, reject: (reason: unknown) => void, timeoutMs: number, signal: AbortSignal | undefined): void {
    const now = this.clock.now()
    const nothingComing = this.idle.length === 0 && this.borrowed === 0 && this.checkingSlots === 0 && this.creating === 0
    // Creating failed and nothing can serve this acquire before the next try:
    // fail at once with the pool's one create error rather than wait it out.
    if (this.failures.count > 0 && nothingComing && now < this.failures.retryAt) {
      this.rejected++
      reject(this.failures.last)
      return
    }
    if (this.line.length >= this.o.maxWaiters && this.idle.length === 0 && this.size() >= this.o.max) {
      this.rejected++
      reject(new TooManyWaitersError(this.o.maxWaiters))
      return
    }
    const ownTimeout = timeoutMs !== this.o.acquireTimeoutMs
    const waiter = new Waiter<T>(resolve, reject, now, timeoutMs, now + timeoutMs, ownTimeout, signal)
    this.line.push(waiter)
    // With no idle resource and no room to create one, there is nothing to dispatch:
    // the waiter waits for a release (the busy pool's path, kept short).
    if (this.idle.length > 0 || this.size() < this.o.max) {
      this.dispatch()
      if (waiter.done) return
    }
    // A create attempt after a backoff may be what this waiter waits for.
    this.backoffTimer.hold(true)
    if (timeoutMs !== Infinity) {
      // Its only bound, and it exists only while the waiter waits: kept alive.
      if (ownTimeout) waiter.timer = setTimer(this.clock, () => this.expire(waiter), timeoutMs, true)
      else {
        waiter.lineTimed = true
        this.lineTimed++
        this.armLineTimer(waiter.deadline)
      }
    }
    if (signal !== undefined) {
      const onAbort = (): void => this.abandon(waiter, signal.reason)
      waiter.onAbort = onAbort
      signal.addEventListener('abort', onAbort, { once: true })
    }
  }

  /** Hands a resource to a waiter in line and settles its acquire. */
  private serve(waiter: Waiter<T>, slot: Slot<T>, fresh: boolean): void {
    this.finish(waiter)
    const wait = this.clock.now() - waiter.enqueuedAt
    this.served++
    this.waitTotal += wait
    if (wait > this.waitMax) this.waitMax = wait
    if (fresh) this.misses++
    else this.hits++
    waiter.resolve(this.lend(slot))
  }

  private lend(slot: Slot<T>): Lease<T> {
    slot.uses++
    this.borrowed++
    return new Lease(this, slot, slot.resource)
  }

  /** Takes a waiter out of line for good: it is settled by the caller and never served again. */
  private finish(waiter: Waiter<T>): void {
    this.line.remove(waiter)
    waiter.done = true
    if (waiter.checking !== undefined) {
      waiter.checking = undefined
      this.checkingWaiters--
    }
    if (waiter.timer !== undefined) this.clock.clearTimeout(waiter.timer)
    if (waiter.onAbort !== undefined) waiter.signal!.removeEventListener('abort', waiter.onAbort)
    // Nobody left for the line timer to time out: it goes, rather than hold the
    // process open for waiters that no longer wait.
    if (waiter.lineTimed) {
      waiter.lineTimed = false
      if (--this.lineTimed === 0) this.lineTimer.clear()
    }
    // Nobody waits for the next create: a backoff that only restores `min` lets the process exit.
    if (this.line.length === 0) this.backoffTimer.hold(false)
  }

  private expire(waiter: Waiter<T>): void {
    if (waiter.done) return
    this.finish(waiter)
    this.rejected++
    const cause = this.failures.last
    waiter.reject(new ResourceAcquireTimeoutError(waiter.timeoutMs, cause === undefined ? undefined : { cause }))
    if (this.state === 'draining') this.checkDrained()
  }

  private abandon(waiter: Waiter<T>, reason: unknown): void {
    if (waiter.done) return
    this.finish(waiter)
    this.rejected++
    waiter.reject(reason)
    if (this.state === 'draining') this.checkDrained()
  }

  /** The first waiter that has no resource under validation for it. */
  private firstNeedy(): Waiter<T> | undefined {
    let w = this.line.head
    if (this.checkingWaiters > 0) while (w !== undefined && w.checking !== undefined) w = w.next
    return w
  }

  private needy(): number {
    return this.line.length - this.checkingWaiters
  }

  private size(): number {
    return this.idle.length + this.borrowed + this.checkingSlots + this.creating
  }

  /** Pops the most recently idle resource, retiring those past their lifetime on the way. */
  private takeIdle(): Slot<T> | undefined {
    const lifetime = this.o.maxLifetimeMs
    if (lifetime === Infinity) return this.idle.pop()
    const now = this.clock.now()
    for (let slot = this.idle.pop(); slot !== undefined; slot = this.idle.pop()) {
      if (now - slot.createdAt < lifetime) return slot
      void this.retire(slot, 'max-lifetime')
    }
    return undefined
  }

  // ---------------------------------------------------------------- returning

  /** Called by a lease when it ends. */
  giveBack(slot: Slot<T>, broken: boolean): void {
    this.borrowed--
    const reason = broken ? 'destroyed' : this.worn(slot)
    if (reason !== undefined) {
      void this.retire(slot, reason)
      // A resource went: replace it if waiters or `min` need one.
      this.dispatch()
    } else if (this.o.validateOnReturn) {
      this.checkOnReturn(slot)
    } else {
      this.offer(slot)
    }
  }

  /** Why a returned resource must be retired, if it must. */
  private worn(slot: Slot<T>): DestroyReason | undefined {
    if (slot.uses >= this.o.maxUses) return 'max-uses'
    if (this.o.maxLifetimeMs !== Infinity && this.clock.now() - slot.createdAt >= this.o.maxLifetimeMs) return 'max-lifetime'
    return undefined
  }

  /** A usable resource is free: to the first waiter, else idle (or destroyed when draining). */
  private offer(slot: Slot<T>): void {
    const waiting = this.needy() > 0
    if (waiting && this.o.validate === undefined) {
      this.serve(this.firstNeedy()!, slot, false)
      return
    }
    if (!waiting && this.state !== 'open') {
      void this.retire(slot, 'drained')
      this.checkDrained()
      return
    }
    this.putIdle(slot)
    if (waiting) this.dispatch()
  }

  private putIdle(slot: Slot<T>): void {
    if (this.o.idleTimeoutMs !== Infinity) slot.idleSince = this.clock.now()
    this.idle.push(slot)
    if (this.state !== 'open') return
    if (!this.sweepTimer.armed) this.armSweep()
    else if (this.o.maxLifetimeMs !== Infinity && slot.createdAt + this.o.maxLifetimeMs < this.sweepTimer.at) this.armSweep()
  }

  private checkOnReturn(slot: Slot<T>): void {
    this.checkingSlots++
    this.runValidate(slot, (ok) => {
      this.checkingSlots--
      if (ok) this.offer(slot)
      else {
        void this.retire(slot, 'invalid')
        this.dispatch()
      }
    })
  }

  // ---------------------------------------------------------------- validation

  /** Validates an idle resource for the first waiter, which keeps its place in line meanwhile. */
  private checkFor(waiter: Waiter<T>, slot: Slot<T>): void {
    waiter.checking = slot
    this.checkingWaiters++
    this.checkingSlots++
    this.runValidate(slot, (ok, async) => {
      this.checkingSlots--
      const wanted = !waiter.done && waiter.checking === slot
      if (wanted) {
        waiter.checking = undefined
        this.checkingWaiters--
      }
      if (!ok) void this.retire(slot, 'invalid')
      else if (wanted) this.serve(waiter, slot, false)
      // The waiter left (timed out, aborted) while its resource was checked: the
      // resource goes back to the pool, not to nobody.
      else this.putIdle(slot)
      if (async) this.dispatch()
    })
  }

  /**
   * Runs `validate`; calls `done(ok, async)` synchronously when it returned a
   * boolean, else when its promise settles. A throw or rejection counts as
   * invalid and is reported.
   */
  private runValidate(slot: Slot<T>, done: (ok: boolean, async: boolean) => void): void {
    let result: boolean | PromiseLike<boolean>
    try {
      result = this.o.validate!(slot.resource)
    } catch (error) {
      this.report(error, 'validate')
      done(false, false)
      return
    }
    if (!isThenable<boolean>(result)) {
      done(result === true, false)
      return
    }
    result.then(
      (ok) => done(ok === true, true),
      (error: unknown) => {
        this.report(error, 'validate')
        done(false, true)
      },
    )
  }

  // ---------------------------------------------------------------- dispatch and creates

  /** Serves needy waiters from idle resources, then creates what waiters and `min` still need. */
  private dispatch(): void {
    // User code (validate, create, destroy, listeners) may call back into the
    // pool; the outer run loops again instead of nesting.
    if (this.dispatching) {
      this.dispatchAgain = true
      return
    }
    this.dispatching = true
    try {
      do {
        this.dispatchAgain = false
        while (this.idle.length > 0 && this.needy() > 0) {
          const slot = this.takeIdle()
          if (slot === undefined) break
          const waiter = this.firstNeedy()!
          if (this.o.validate === undefined) this.serve(waiter, slot, false)
          else this.checkFor(waiter, slot)
        }
        if (this.state !== 'open') {
          for (const slot of this.idle.splice(0)) void this.retire(slot, 'drained')
        }
        this.createForDemand()
      } while (this.dispatchAgain)
    } finally {
      this.dispatching = false
    }
    if (this.state === 'draining') this.checkDrained()
  }

  private createForDemand(): void {
    const size = this.size()
    const room = this.o.max - size
    if (room <= 0) return
    let want = this.needy() - this.creating
    if (this.state === 'open') want = Math.max(want, this.o.min - size)
    if (want <= 0) return
    if (this.failures.count > 0) {
      // After a failure, one attempt at a time until one succeeds: no storm of creates.
      if (this.creating > 0) return
      if (this.clock.now() < this.failures.retryAt) {
        this.armBackoff()
        return
      }
      want = 1
    }
    for (let n = Math.min(want, room); n > 0; n--) this.startCreate()
  }

  private startCreate(): void {
    this.creating++
    // Failures of creates started in one round count as one backoff step (see CreateFailures).
    const round = this.failures.round
    let result: T | PromiseLike<T>
    try {
      result = this.o.create()
    } catch (error) {
      result = Promise.reject(error)
    }
    // Always settled in a later microtask, so a create never re-enters dispatch.
    Promise.resolve(result).then(
      (resource) => this.onCreated(resource),
      (error: unknown) => this.onCreateFailed(error, round),
    )
  }

  private onCreated(resource: T): void {
    this.creating--
    this.created++
    if (this.failures.count > 0) {
      this.failures.reset()
      this.backoffTimer.clear()
    }
    if (this.events.has('create')) this.events.emit('create', [resource])
    const slot = new Slot(resource, this.o.maxLifetimeMs === Infinity ? 0 : this.clock.now())
    // A fresh resource needs no validation: straight to the first waiter.
    const waiter = this.firstNeedy()
    if (waiter !== undefined) this.serve(waiter, slot, true)
    else if (this.state !== 'open') void this.retire(slot, 'drained')
    else this.putIdle(slot)
    this.dispatch()
  }

  private onCreateFailed(error: unknown, round: number): void {
    this.creating--
    this.createErrors++
    const failure = this.failures.fail(error, this.clock.now(), round)
    this.report(error, 'create')
    if (this.idle.length === 0 && this.borrowed === 0 && this.checkingSlots === 0 && this.creating === 0) {
      // Nothing could serve the waiters before the next try: every one of them
      // fails now with this one error instead of waiting out its timeout.
      for (const waiter of this.line.drain()) {
        this.finish(waiter)
        this.rejected++
        waiter.reject(failure)
      }
    }
    this.dispatch()
  }

  private armBackoff(): void {
    if (this.backoffTimer.armed) return
    this.backoffTimer.arm(this.failures.retryAt, this.line.length > 0)
  }

  // ---------------------------------------------------------------- timers

  /**
   * The waiters with the pool's own timeout share one timer: their deadlines
   * are in line order, so it is armed for the first one and, when it fires,
   * expires those due and re-arms for the next. It is not moved when a waiter
   * is served (it may fire early and find nothing due), only cleared when no
   * waiter with the pool's timeout is left. It is kept alive: it exists only
   * while such a waiter waits, and is what bounds the wait.
   */
  private armLineTimer(deadline: number): void {
    if (this.lineTimer.armed && this.lineTimer.at <= deadline) return
    this.lineTimer.arm(deadline, true)
  }

  private onLineTimer(): void {
    const now = this.clock.now()
    for (let w = this.line.head; w !== undefined;) {
      const next = w.next
      if (!w.ownTimeout) {
        if (w.deadline > now) {
          this.armLineTimer(w.deadline)
          return
        }
        this.expire(w)
      }
      w = next
    }
  }

  /** Arms the idle sweep for the earliest idle deadline or lifetime end, when there is one. */
  private armSweep(): void {
    let at = Infinity
    const idle = this.idle
    if (this.o.idleTimeoutMs !== Infinity && idle.length > 0 && this.size() > this.o.min) at = idle[0]!.idleSince + this.o.idleTimeoutMs
    const lifetime = this.o.maxLifetimeMs
    if (lifetime !== Infinity) for (const slot of idle) if (slot.createdAt + lifetime < at) at = slot.createdAt + lifetime
    if (this.sweepTimer.armed) {
      if (this.sweepTimer.at <= at) return
      this.sweepTimer.clear()
    }
    if (at === Infinity) return
    this.sweepTimer.arm(at, false)
  }

  /** Retires idle resources past their lifetime, then evicts the longest idle down to `min`. */
  private sweep(): void {
    if (this.state !== 'open') return
    const now = this.clock.now()
    const before = this.destroyed
    const idle = this.idle
    const lifetime = this.o.maxLifetimeMs
    if (lifetime !== Infinity) {
      for (let i = idle.length - 1; i >= 0; i--) {
        const slot = idle[i]!
        if (now - slot.createdAt >= lifetime) {
          idle.splice(i, 1)
          void this.retire(slot, 'max-lifetime')
        }
      }
    }
    const idleMs = this.o.idleTimeoutMs
    if (idleMs !== Infinity) {
      while (idle.length > 0 && this.size() > this.o.min && idle[0]!.idleSince + idleMs <= now) void this.retire(idle.shift()!, 'idle')
    }
    this.armSweep()
    // Lifetime retirements may have taken the pool below `min`.
    if (this.destroyed !== before) this.dispatch()
  }

  // ---------------------------------------------------------------- destroying

  /**
   * Destroys a resource the pool has already let go of; returns the destroy's promise, if it gave one.
   * That promise never rejects (a failed destroy goes to the 'error' listeners), so callers
   * that need not wait for it (all but `clear()`) discard it with `void`.
   */
  private retire(slot: Slot<T>, reason: DestroyReason): Promise<void> | undefined {
    this.destroyed++
    if (this.events.has('destroy')) this.events.emit('destroy', [slot.resource, reason])
    let result: void | PromiseLike<void>
    try {
      result = this.o.destroy(slot.resource)
    } catch (error) {
      this.report(error, 'destroy')
      return undefined
    }
    if (!isThenable<void>(result)) return undefined
    this.destroying++
    return Promise.resolve(result).then(
      () => this.destroySettled(),
      (error: unknown) => {
        this.report(error, 'destroy')
        this.destroySettled()
      },
    )
  }

  private destroySettled(): void {
    this.destroying--
    if (this.state === 'draining') this.checkDrained()
  }

  private report(error: unknown, operation: 'create' | 'destroy' | 'validate'): void {
    this.events.emit('error', [error, operation])
  }

  // ---------------------------------------------------------------- life cycle

  drain(): Promise<void> {
    if (this.drainPromise !== undefined) return this.drainPromise
    this.state = 'draining'
    this.drainPromise = new Promise<void>((resolve) => {
      this.drainResolve = resolve
    })
    this.sweepTimer.clear()
    // Destroys the idle resources and settles the drain when nothing is out.
    this.dispatch()
    return this.drainPromise
  }

  private checkDrained(): void {
    if (this.state !== 'draining') return
    if (this.line.length > 0 || this.borrowed > 0 || this.creating > 0 || this.checkingSlots > 0 || this.destroying > 0 || this.idle.length > 0) return
    this.state = 'drained'
    this.lineTimer.clear()
    this.sweepTimer.clear()
    this.backoffTimer.clear()
    this.drainResolve!()
  }

  clear(): Promise<void> {
    const pending: Promise<void>[] = []
    for (const slot of this.idle.splice(0)) {
      const p = this.retire(slot, 'cleared')
      if (p !== undefined) pending.push(p)
    }
    // Nothing idle is left to sweep; resources made to refill `min` arm it again.
    this.sweepTimer.clear()
    this.dispatch()
    return Promise.all(pending).then(() => undefined)
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.drain()
  }

  on<K extends keyof ResourcePoolEvents<T>>(event: K, listener: ResourcePoolEvents<T>[K]): () => void {
    check.oneOf('on(event)', event, EVENTS)
    check.func('on(listener)', listener)
    return this.events.on(event, listener)
  }

  // ---------------------------------------------------------------- figures

  stats(): ResourcePoolStats {
    const servedTotal = this.hits + this.misses
    return {
      name: this.name,
      state: this.state,
      size: this.size(),
      available: this.idle.length,
      borrowed: this.borrowed,
      creating: this.creating,
      validating: this.checkingSlots,
      pending: this.line.length,
      created: this.created,
      destroyed: this.destroyed,
      createErrors: this.createErrors,
      acquires: this.acquires,
      hits: this.hits,
      misses: this.misses,
      rejected: this.rejected,
      hitRatio: servedTotal === 0 ? 0 : this.hits / servedTotal,
      meanWaitMs: this.served === 0 ? 0 : this.waitTotal / this.served,
      maxWaitMs: this.waitMax,
    }
  }

  collect(): readonly CollectedMetric[] {
    return poolMetrics(this.stats())
  }
}
