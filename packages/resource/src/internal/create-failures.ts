import { ResourceCreateError } from '../errors.js'

/**
 * A pool's run of failed creates: how many in a row, when the next attempt may
 * start (`initialMs * factor^(n-1)` after the n-th, at most `maxMs`), and the
 * one error the waiters of the last failure got.
 */
export class CreateFailures {
  /** Failed creates in a row; 0 once one succeeds. */
  count = 0
  /** When the next attempt may start (clock ms). */
  retryAt = -Infinity
  /** The error of the last failure, while `count > 0`. */
  last: ResourceCreateError | undefined = undefined

  constructor(private readonly backoff: { readonly initialMs: number; readonly factor: number; readonly maxMs: number }) {}

  /** Records a failure at `now`; returns the error for the acquires it fails. */
  fail(cause: unknown, now: number): ResourceCreateError {
    this.count++
    const b = this.backoff
    this.retryAt = now + Math.min(b.maxMs, b.initialMs * b.factor ** (this.count - 1))
    this.last = new ResourceCreateError(this.count, this.retryAt, { cause })
    return this.last
  }

  reset(): void {
    this.count = 0
    this.retryAt = -Infinity
    this.last = undefined
  }
}
