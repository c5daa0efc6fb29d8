import { PoolError } from '@poolkit/core'

/**
 * Stable error codes of the errors this package raises. They never change
 * between versions: match on `error.code`, not on the message.
 * @public
 */
export const ResourceErrorCode = {
  /** An acquire waited `acquireTimeoutMs` (or its own `timeoutMs`) without getting a resource. */
  AcquireTimeout: 'ERR_RESOURCE_ACQUIRE_TIMEOUT',
  /** `create` failed and nothing else could serve the acquire; `cause` is the create error. */
  Create: 'ERR_RESOURCE_CREATE',
  /** The pool is draining or drained (or the key ring is closed): it lends nothing more. */
  PoolDrained: 'ERR_RESOURCE_POOL_DRAINED',
  /** A lease was released or destroyed a second time. */
  LeaseReleased: 'ERR_RESOURCE_LEASE_RELEASED',
  /** The line of waiting acquires is at `maxWaiters`. */
  TooManyWaiters: 'ERR_RESOURCE_TOO_MANY_WAITERS',
} as const

/**
 * One of the `ResourceErrorCode` values.
 * @public
 */
export type ResourceErrorCode = (typeof ResourceErrorCode)[keyof typeof ResourceErrorCode]

/**
 * An acquire waited its timeout without getting a resource: every resource
 * stayed borrowed, or creating one failed meanwhile (then `cause` is the last
 * {@link ResourceCreateError}). The waiter has left the line and will never be
 * handed a resource.
 * @public
 */
export class ResourceAcquireTimeoutError extends PoolError {
  /** Always `'ResourceAcquireTimeoutError'`. */
  override name = 'ResourceAcquireTimeoutError'
  /** The timeout that passed, in milliseconds. */
  readonly timeoutMs: number

  constructor(timeoutMs: number, options?: { cause?: unknown }) {
    super(ResourceErrorCode.AcquireTimeout, `No resource was free within ${timeoutMs} ms`, options)
    this.timeoutMs = timeoutMs
  }
}

/**
 * Creating a resource failed, and the acquire had nothing else to wait for (no
 * resource is borrowed or being created), so it fails at once rather than
 * waiting out its timeout. Until `retryAt` the pool makes no new attempt: an
 * acquire that finds the pool empty gets this error straight away. `cause` is
 * the error `create` threw or rejected with.
 * @public
 */
export class ResourceCreateError extends PoolError {
  /** Always `'ResourceCreateError'`. */
  override name = 'ResourceCreateError'
  /**
   * Failed attempts in a row, this one included: the step of the backoff, so
   * the wait before `retryAt` is `initialMs * factor^(attempts-1)` (at most
   * `maxMs`). Creates that failed together (they overlapped in time, such as a
   * burst of acquires on an empty pool) are one attempt; `stats().createErrors`
   * counts each failed create.
   */
  readonly attempts: number
  /** When the pool tries `create` again, on the pool's clock (ms). */
  readonly retryAt: number

  constructor(attempts: number, retryAt: number, options: { cause: unknown }) {
    const reason = options.cause instanceof Error ? `: ${options.cause.message}` : ''
    super(ResourceErrorCode.Create, `Creating a resource failed ${attempts === 1 ? 'once' : `${attempts} times in a row`}${reason}`, options)
    this.attempts = attempts
    this.retryAt = retryAt
  }
}

/**
 * The pool is draining or drained (`drain()`, `await using`), or the key ring
 * is closed: it lends nothing more.
 * @public
 */
export class ResourcePoolDrainedError extends PoolError {
  /** Always `'ResourcePoolDrainedError'`. */
  override name = 'ResourcePoolDrainedError'
  constructor(message = 'The resource pool is drained', options?: { cause?: unknown }) {
    super(ResourceErrorCode.PoolDrained, message, options)
  }
}

/**
 * `release()` or `destroy()` was called on a lease that was already released
 * or destroyed. The resource may already be lent to someone else, so the call
 * is refused rather than ignored.
 * @public
 */
export class LeaseReleasedError extends PoolError {
  /** Always `'LeaseReleasedError'`. */
  override name = 'LeaseReleasedError'
  constructor(operation: 'release' | 'destroy', options?: { cause?: unknown }) {
    super(ResourceErrorCode.LeaseReleased, `Cannot ${operation} a lease that was already released or destroyed`, options)
  }
}

/**
 * The acquire would have had to wait, and `maxWaiters` acquires were already waiting.
 * @public
 */
export class TooManyWaitersError extends PoolError {
  /** Always `'TooManyWaitersError'`. */
  override name = 'TooManyWaitersError'
  /** The `maxWaiters` limit that was reached. */
  readonly limit: number

  constructor(limit: number, options?: { cause?: unknown }) {
    super(ResourceErrorCode.TooManyWaiters, `${limit} acquires are already waiting for a resource`, options)
    this.limit = limit
  }
}

/**
 * Tells whether a value is one of this package's errors (by its `ERR_RESOURCE_`
 * code, so it works across copies of the package).
 * @public
 */
export function isResourceError(error: unknown): error is PoolError & { readonly code: ResourceErrorCode } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string' && (error as unknown as { code: string }).code.startsWith('ERR_RESOURCE_')
}
