// The pool's running totals: what stats() reports, and what a close report counts.
import type { PoolCounters } from '../contracts/snapshot.js'

/** Counts since the pool was made. One per pool; the hot path bumps the fields directly. */
export class Counters {
  submitted = 0
  /** Attempts handed to a worker. */
  started = 0
  completed = 0
  failed = 0
  rejected = 0
  cancelled = 0
  timedOut = 0
  retried = 0
  deadLettered = 0
  /** Attempts that stopped running (finished, timed out or aborted). */
  finished = 0
  /** Time queued over every started attempt, and time run over every finished one (ms). */
  totalWaitMs = 0
  totalRunMs = 0
  /** Tasks settled in any way (the close report counts those settled while the pool closed). */
  settled = 0

  /** The public counters, as data. */
  toCounters(): PoolCounters {
    return {
      submitted: this.submitted,
      started: this.started,
      completed: this.completed,
      failed: this.failed,
      rejected: this.rejected,
      cancelled: this.cancelled,
      timedOut: this.timedOut,
      retried: this.retried,
      deadLettered: this.deadLettered,
    }
  }

  meanWaitMs(): number {
    return this.started === 0 ? 0 : this.totalWaitMs / this.started
  }

  meanRunMs(): number {
    return this.finished === 0 ? 0 : this.totalRunMs / this.finished
  }
}
