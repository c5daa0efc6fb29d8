// Closing the pool: close() lets what was accepted finish (up to a timeout),
// destroy() stops at once; both resolve to the close report, which lists the
// tasks that never started and those aborted while running.
import type { TimerHandle } from '../clock.js'
import type { TaskInfo } from '../contracts/task.js'
import { PoolClosedError } from '../errors.js'
import type { CloseOptions, CloseReport } from '../pool-options.js'
import type { PoolCore } from './pool-core.js'
import { taskInfoOf } from './task-record.js'
import type { TaskRecord } from './task-record.js'
import * as check from './validate.js'

/** A pool's close, from the first close() or destroy() to the report. One per pool. */
export class Closer<I, O> {
  /** When a close timeout passes, on the clock; Infinity without one. Held tasks that cannot run before it are settled. */
  deadline = Infinity
  /** Callers refused since the close began: never accepted, so not in the report. */
  refused = 0
  private promise: Promise<CloseReport> | undefined
  private resolve: ((report: CloseReport) => void) | undefined
  private timer: TimerHandle | undefined
  private startedAt = 0
  /** Tasks settled as unstarted while the pool closed (held past the deadline): they go in the report. */
  private readonly unstarted: TaskRecord<I, O>[] = []
  private settlingHolds = false
  /** The pool's settled count when the close began. */
  private settledBefore = 0
  private report: CloseReport | undefined

  constructor(private readonly pool: PoolCore<I, O>) {}

  close(options?: CloseOptions): Promise<CloseReport> {
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new TypeError(`options must be an object, got ${check.describe(options)}`)
    }
    const timeout = options?.timeout === undefined ? Infinity : check.duration('options.timeout', options.timeout)
    const first = this.promise === undefined
    if (first) this.begin()
    // A later close({ timeout }) can still set a deadline on a close that had none.
    if (timeout !== Infinity && this.timer === undefined && this.report === undefined) {
      const clock = this.pool.clock
      this.deadline = clock.now() + timeout
      this.timer = clock.setTimeout(() => {
        this.timer = undefined
        this.force()
      }, timeout)
      if (!first) this.pool.holds.settleAtClose()
    }
    if (first) {
      this.pool.holds.settleAtClose()
      this.maybeFinish()
    }
    return this.promise!
  }

  destroy(): Promise<CloseReport> {
    if (this.pool.lifecycle === 'closed') return this.promise!
    if (this.promise === undefined) this.begin()
    this.force()
    return this.promise!
  }

  /** While closing: finishes the close once nothing runs, waits in the queue or is held. */
  maybeFinish(): void {
    const pool = this.pool
    if (pool.lifecycle !== 'closing' || this.report !== undefined || this.settlingHolds) return
    if (pool.running !== 0 || pool.queue.size !== 0) return
    // Nothing runs: holds that only a running task could end are settled now.
    if (pool.delayedTasks.size > 0) pool.holds.settleAtClose()
    if (this.report === undefined && pool.delayedTasks.size === 0) this.finish(this.unstarted, [], false)
  }

  /** Rejects tasks the closing pool will not start with `PoolClosedError`, listing them in the close report. */
  settleUnstarted(tasks: readonly TaskRecord<I, O>[]): void {
    // Listed before any is settled: a settle may finish the close, and the report must hold them all.
    this.unstarted.push(...tasks)
    this.settlingHolds = true
    try {
      for (const task of tasks) this.pool.rejectTask(task, 'closed', new PoolClosedError('The pool closed before the task started'))
    } finally {
      this.settlingHolds = false
    }
    this.maybeFinish()
  }

  private begin(): void {
    const pool = this.pool
    pool.lifecycle = 'closing'
    pool.paused = false
    this.startedAt = pool.clock.now()
    this.settledBefore = pool.counters.settled
    this.promise = new Promise((resolve) => (this.resolve = resolve))
    pool.scaling?.stop()
    // Callers waiting for room were never accepted: refuse them now.
    while (pool.roomWaiters.length > 0) {
      const task = pool.roomWaiters.shift()!
      this.refused++
      pool.rejectTask(task, 'closed', new PoolClosedError())
    }
    pool.dispatch()
  }

  /** The timeout passed (or destroy()): rejects what has not started, aborts what runs, and finishes. */
  private force(): void {
    const pool = this.pool
    if (pool.lifecycle !== 'closing' || this.report !== undefined) return
    const error = new PoolClosedError('The pool closed before the task could finish')
    const unstarted: TaskRecord<I, O>[] = [...pool.queue.clear(), ...pool.delayedTasks]
    pool.delayedTasks.clear()
    pool.holds.clear()
    const aborted = pool.runningTasks.toArray()
    // Mark closed first so that settling these does not finish the close twice.
    pool.lifecycle = 'closed'
    for (const task of unstarted) pool.rejectTask(task, 'closed', new PoolClosedError('The pool closed before the task started'))
    unstarted.unshift(...this.unstarted)
    for (const task of aborted) {
      pool.abortRunning(task, error)
      pool.settleFailure(task, 'cancelled', error)
    }
    this.finish(unstarted, aborted, true)
  }

  private finish(unstarted: readonly TaskInfo[], aborted: readonly TaskInfo[], timedOut: boolean): void {
    const pool = this.pool
    pool.lifecycle = 'closed'
    if (this.timer !== undefined) {
      pool.clock.clearTimeout(this.timer)
      this.timer = undefined
    }
    // Every held task has settled by now; a key's timer must not outlive the pool.
    pool.holds.clear()
    const report: CloseReport = {
      settled: pool.counters.settled - this.settledBefore - this.refused - unstarted.length - aborted.length,
      // Data, not the pool's records (which hold inputs, callbacks and links, and do not serialise).
      unstarted: unstarted.map(taskInfoOf),
      aborted: aborted.map(taskInfoOf),
      timedOut,
      durationMs: pool.clock.now() - this.startedAt,
    }
    this.report = report
    void pool.workers
      .closeAll()
      .then(() => pool.executor.close?.())
      .then(undefined, (error: unknown) => pool.notifier.error(error))
      .then(() => {
        pool.checkIdle()
        pool.notifier.emit('close', [report])
        pool.notifier.events.clear()
        this.resolve!(report)
      })
  }
}
