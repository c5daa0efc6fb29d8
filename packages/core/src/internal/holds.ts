// Tasks a breaker holds out of the queue (an open circuit, a full bulkhead, a
// rate limit, a 429's pause): by key, each key with one timer for its earliest
// `retryAt`, and each held task with a timer for what is left of its timeout.
import type { TimerHandle } from '../clock.js'
import type { Breaker } from '../contracts/breaker.js'
import { TaskTimeoutError } from '../errors.js'
import type { PoolCore } from './pool-core.js'
import { clearTaskTimer, DELAYED, HoldRecord } from './task-record.js'
import type { TaskRecord } from './task-record.js'

/** A key's held tasks, in queue order, each with its own `retryAt`, and the timer for the earliest of them. */
interface HeldKey<I, O> {
  readonly tasks: Map<TaskRecord<I, O>, number>
  timer: TimerHandle | undefined
  at: number
}

/** The pool's breaker holds. One per pool. */
export class Holds<I, O> {
  private readonly held = new Map<string | undefined, HeldKey<I, O>>()
  /**
   * The held keys by their `at`, to the nearest millisecond: keys whose holds end at the same moment (a
   * rate limiter names its next token's time to every task it turns away,
   * whatever the task's own key) are released together, before one dispatch,
   * so the queue's order decides which of them goes first; released one timer
   * at a time, the key whose timer fired first would take the token every time.
   */
  private readonly due = new Map<number, Set<string | undefined>>()
  /** A dispatch is due after the breaker's wakes (see wake). */
  private dispatchQueued = false

  /** The key a held task waits under: the one the breaker names in `wake(key)` (Breaker.keyOf), else the task's. */
  private readonly keyOf: (task: TaskRecord<I, O>) => string | undefined

  constructor(
    private readonly pool: PoolCore<I, O>,
    breaker: Breaker | undefined,
  ) {
    this.keyOf = breaker?.keyOf === undefined ? (task) => task.key : (task) => pool.notifier.guard(() => breaker.keyOf!(task))
  }

  /**
   * Keeps a task the breaker holds out of the queue until its key's earliest
   * `retryAt` (at least 1 ms away, so a breaker saying "now" cannot spin
   * dispatch) or until the breaker wakes the key; other keys go on running.
   */
  hold(task: TaskRecord<I, O>, retryAt: number): void {
    const pool = this.pool
    if (pool.lifecycle === 'closing' && !this.mayRunBeforeClose(retryAt)) {
      pool.closer.settleUnstarted([task])
      return
    }
    task.state = DELAYED
    pool.delayedTasks.add(task)
    // A held task waits at most what is left of its timeout (a timer of its own, kept alive), unless it has a
    // deadline: that bounds the wait, and the timeout is left whole for the attempt (a task held by a rate
    // limiter's backlog would otherwise start with a sliver of it and time out against a healthy provider).
    if (task.timeoutMs !== Infinity && task.expiresAt === undefined) {
      const now = pool.clock.now()
      const held = (task.held ??= new HoldRecord())
      held.heldAt = now
      const left = task.timeoutMs - held.spentMs
      task.timer = pool.clock.setTimeout(() => this.onTimeout(task), left > 0 ? left : 0)
    }
    const key = this.keyOf(task)
    task.extra().heldKey = key
    let h = this.held.get(key)
    if (h === undefined) {
      h = { tasks: new Map(), timer: undefined, at: Infinity }
      this.held.set(key, h)
    }
    h.tasks.set(task, retryAt)
    if (retryAt === Infinity || retryAt >= h.at) return
    if (h.timer !== undefined) pool.clock.clearTimeout(h.timer)
    this.undue(key, h.at)
    this.arm(key, h, retryAt)
  }

  /** Sets `key`'s timer for `retryAt`, the earliest of its tasks'. */
  private arm(key: string | undefined, h: HeldKey<I, O>, retryAt: number): void {
    const pool = this.pool
    h.at = retryAt
    const dueMs = toMs(retryAt)
    let keys = this.due.get(dueMs)
    if (keys === undefined) this.due.set(dueMs, (keys = new Set()))
    keys.add(key)
    h.timer = pool.clock.setTimeout(
      () => {
        h.timer = undefined
        this.releaseDue(dueMs, key)
      },
      Math.max(1, retryAt - pool.clock.now()),
    )
  }

  /**
   * A key's timer fired: releases the tasks of `key`, and of every other key,
   * held until the millisecond `dueMs` (the others stay held, until their own
   * `retryAt` or a wake), then dispatches once.
   */
  private releaseDue(dueMs: number, key: string | undefined): void {
    this.release(key, dueMs)
    const keys = this.due.get(dueMs)
    if (keys !== undefined) for (const k of [...keys]) this.release(k, dueMs)
    this.pool.dispatch()
  }

  /** `key` is no longer held until `at`. */
  private undue(key: string | undefined, at: number): void {
    if (at === Infinity) return
    const dueMs = toMs(at)
    const keys = this.due.get(dueMs)
    if (keys === undefined) return
    keys.delete(key)
    if (keys.size === 0) this.due.delete(dueMs)
  }

  /**
   * A breaker's `wake`: its held tasks of `key` (of every key for `undefined`)
   * may be admitted now. They go back in the queue at once, and the pool
   * dispatches once, after the breaker's current call (a microtask later): a
   * breaker that wakes several keys in a row (a permit back for a provider
   * whose held tasks belong to several tenants) gets them all queued before
   * any starts, so the queue's order (a fair queue's turns) decides which
   * goes first, not the order of the wakes.
   */
  wake(key: string | undefined): void {
    if (key !== undefined) this.release(key)
    else for (const k of [...this.held.keys()]) this.release(k)
    if (this.dispatchQueued) return
    this.dispatchQueued = true
    queueMicrotask(this.dispatchWoken)
  }

  /** The dispatch after a breaker's wakes (made once: a bulkhead wakes a key at every task's end). */
  private readonly dispatchWoken = (): void => {
    this.dispatchQueued = false
    this.pool.dispatch()
  }

  /** Whether the breaker holds `task` (rather than a retry's backoff delaying it). */
  has(task: TaskRecord<I, O>): boolean {
    return this.held.get(task.heldKey)?.tasks.has(task) === true
  }

  /** Takes one task out of its key's hold (cancelled, or out of time). */
  unhold(task: TaskRecord<I, O>): void {
    this.pool.delayedTasks.delete(task)
    const key = task.heldKey
    const h = this.held.get(key)
    if (h === undefined || !h.tasks.delete(task) || h.tasks.size > 0) return
    if (h.timer !== undefined) this.pool.clock.clearTimeout(h.timer)
    this.undue(key, h.at)
    this.held.delete(key)
  }

  /** While closing: settles as unstarted the held tasks that cannot run before the close deadline. */
  settleAtClose(): void {
    const pool = this.pool
    if (pool.lifecycle !== 'closing' || this.held.size === 0) return
    const late: TaskRecord<I, O>[] = []
    for (const [key, h] of this.held) {
      if (this.mayRunBeforeClose(h.at)) continue
      this.undue(key, h.at)
      this.held.delete(key)
      if (h.timer !== undefined) pool.clock.clearTimeout(h.timer)
      for (const task of h.tasks.keys()) {
        if (task.state !== DELAYED) continue
        pool.delayedTasks.delete(task)
        late.push(task)
      }
    }
    if (late.length > 0) pool.closer.settleUnstarted(late)
  }

  /** Drops every hold and its timer (the tasks themselves are settled by the caller). */
  clear(): void {
    for (const h of this.held.values()) if (h.timer !== undefined) this.pool.clock.clearTimeout(h.timer)
    this.held.clear()
    this.due.clear()
  }

  /**
   * Puts a key's held tasks back at the front of the queue, in their order (the
   * caller dispatches). With `dueMs`, only those held until that millisecond or
   * before; the key's timer is set again for the rest.
   */
  private release(key: string | undefined, dueMs?: number): void {
    const pool = this.pool
    const h = this.held.get(key)
    if (h === undefined) return
    if (h.timer !== undefined) pool.clock.clearTimeout(h.timer)
    h.timer = undefined
    this.undue(key, h.at)
    let tasks: TaskRecord<I, O>[]
    if (dueMs === undefined) {
      this.held.delete(key)
      tasks = [...h.tasks.keys()]
    } else {
      tasks = []
      let next = Infinity
      for (const [task, retryAt] of h.tasks) {
        if (toMs(retryAt) <= dueMs) tasks.push(task)
        else if (retryAt < next) next = retryAt
      }
      for (const task of tasks) h.tasks.delete(task)
      h.at = Infinity
      if (h.tasks.size === 0) this.held.delete(key)
      else if (next !== Infinity) this.arm(key, h, next)
    }
    const now = pool.clock.now()
    for (let i = tasks.length - 1; i >= 0; i--) {
      const task = tasks[i]!
      if (task.state !== DELAYED) continue
      pool.delayedTasks.delete(task)
      if (task.timer !== undefined) {
        clearTaskTimer(pool.clock, task)
        task.held!.spentMs += now - task.held!.heldAt
      }
      // Its old enqueue time: the time held counts as waiting.
      pool.enqueue(task, task.enqueuedAt, true)
    }
  }

  /** A held task used up its timeout without being let through: the attempt timed out. */
  private onTimeout(task: TaskRecord<I, O>): void {
    task.timer = undefined
    if (task.state !== DELAYED) return
    this.unhold(task)
    const error = new TaskTimeoutError(task.timeoutMs, {
      message: `The task timed out after ${task.timeoutMs} ms, held by the pool's breaker (an open circuit, a full bulkhead, a rate limit or a retry hint's pause)`,
    })
    this.pool.retry.afterFailure(task, 'timed-out', error)
    this.pool.checkIdle()
  }

  /** Whether a task held until `retryAt` may still run before the close deadline (`Infinity`: until a wake, which only running tasks bring). */
  private mayRunBeforeClose(retryAt: number): boolean {
    return retryAt === Infinity ? this.pool.running > 0 : retryAt <= this.pool.closer.deadline
  }
}

/** A hold's end to the nearest millisecond: the same moment computed for two tasks may differ in its last bits. */
function toMs(at: number): number {
  return Math.round(at)
}
