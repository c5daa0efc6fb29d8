import type { DisposableLike } from '@poolkit/core'

/**
 * One borrowing of a resource, from `acquire()` to `release()` or `destroy()`.
 * Exactly one of the two ends a lease; a second call throws a
 * `LeaseReleasedError` (the resource may already be lent to someone else).
 * A lease is `Disposable`: `using lease = await pool.acquire()` releases it at
 * the end of the block unless it was released or destroyed before (where
 * the TypeScript `lib` declares `Symbol.dispose`; see core's `DisposableLike`).
 * @example
 * ```ts
 * const lease = await pool.acquire({ signal })
 * try {
 *   await lease.resource.query('select 1')
 *   lease.release()
 * } catch (error) {
 *   lease.destroy() // the connection may be broken: do not lend it again
 *   throw error
 * }
 * ```
 * @public
 */
export interface ResourceLease<T> extends DisposableLike {
  /** The borrowed resource. Do not use it once the lease has ended. */
  readonly resource: T
  /** Whether `release()` or `destroy()` has ended the lease. */
  readonly released: boolean
  /**
   * Gives the resource back to the pool, which lends it to the next waiter
   * (FIFO) or keeps it idle. A resource past `maxUses` or `maxLifetimeMs`, or
   * failing `validate` with `validateOnReturn`, is destroyed instead.
   * @throws `LeaseReleasedError` when the lease has already ended.
   */
  release(): void
  /**
   * Ends the lease by destroying the resource (it is broken): the pool calls
   * `destroy` and creates a replacement when one is needed.
   * @throws `LeaseReleasedError` when the lease has already ended.
   */
  destroy(): void
}
