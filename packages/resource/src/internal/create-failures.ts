import { ResourceCreateError } from '../errors.js'

/**
 * A pool's run of failed creates: how many backoff steps in a row, when the
 * next attempt may start (`initialMs * factor^(n-1)` after the n-th step, at
 * most `maxMs`), and the one error the waiters of the last failure got.
 *
 * Failures that overlap in time are one step: a create that started before the
 * last counted failure happened (a burst of acquires on an empty pool, `min`
 * warming up) failed for the same reason at the same time, and counting each
 * one would turn a one-second outage into the longest backoff. Each create is
 * stamped with `round` when it starts; only a failure of the current round
 * counts, and counting it opens the next round.
 */
export class CreateFailures {
  /** Backoff steps in a row (rounds of creates that all failed); 0 once one succeeds. */
  count = 0
  /** When the next attempt may start (clock ms). */
  retryAt = -Infinity
  /** The error of the last failure, while `count > 0`. */
  last: ResourceCreateError | undefined = undefined
  /** The round a create starting now belongs to; moves on at each counted failure. */
  round = 0

  constructor(private readonly backoff: { readonly initialMs: number; readonly factor: number; readonly maxMs: number }) {}

  /**
   * Records at `now` the failure of a create that started in `round`; returns
   * the error for the acquires it fails. A failure of an earlier round (it
   * overlapped the last counted one) takes no further step, but the next try
   * still waits the current step's delay after it.
   */
  fail(cause: unknown, now: number, round: number): ResourceCreateError {
    if (round === this.round || this.count === 0) {
      this.count++
      this.round++
    }
    const b = this.backoff
    this.retryAt = Math.max(this.retryAt, now + Math.min(b.maxMs, b.initialMs * b.factor ** (this.count - 1)))
    this.last = new ResourceCreateError(this.count, this.retryAt, { cause })
    return this.last
  }

  reset(): void {
    this.count = 0
    this.retryAt = -Infinity
    this.last = undefined
  }
}
