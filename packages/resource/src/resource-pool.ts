import type { AsyncDisposableLike, CollectedMetric, MetricsCollector } from '@poolkit/core'
import { ResourcePoolImpl } from './internal/resource-pool-impl.js'
import type { ResourceLease } from './lease.js'
import type { AcquireOptions, ResourcePoolOptions } from './options.js'

/**
 * Why the pool destroyed a resource, as the `'destroy'` event tells it:
 * - `'idle'`: idle longer than `idleTimeoutMs` while the pool held more than `min`;
 * - `'max-uses'`, `'max-lifetime'`: retired after `maxUses` lends or `maxLifetimeMs`;
 * - `'invalid'`: it failed `validate` (on borrow or on return);
 * - `'destroyed'`: its lease was ended with `lease.destroy()`;
 * - `'cleared'`: `clear()`; `'drained'`: `drain()`.
 * @public
 */
export type DestroyReason = 'idle' | 'max-uses' | 'max-lifetime' | 'invalid' | 'destroyed' | 'cleared' | 'drained'

/**
 * Where a pool is in its life: `'open'` lends; `'draining'` (after `drain()`)
 * refuses new acquires, still serves the acquires already waiting, and
 * destroys resources as they come back; `'drained'` holds nothing and no timer.
 * @public
 */
export type ResourcePoolState = 'open' | 'draining' | 'drained'

/**
 * The events of a resource pool. Listeners run synchronously, in the order they
 * were added. One that throws does not disturb the pool nor stop the other
 * listeners: its error goes to the `'error'` listeners (operation
 * `'listener'`), or, when there is none or an `'error'` listener threw, is
 * rethrown in a microtask, so it surfaces as an uncaught exception. An
 * `'error'` the pool reports for `create`, `destroy` or `validate` with no
 * listener is dropped: the pool has already handled it. (The rule of every
 * poolkit emitter, `Emitter` in `@poolkit/core/emitter`.)
 * @public
 */
export interface ResourcePoolEvents<T> {
  /** A resource was created. */
  create: (resource: T) => void
  /** The pool is destroying a resource (`destroy` is being called), and why. */
  destroy: (resource: T, reason: DestroyReason) => void
  /**
   * `create`, `destroy` or `validate` threw or rejected, or a listener of
   * another event threw (`'listener'`). Create errors also reach the acquires
   * they fail; the others are reported here only.
   */
  error: (error: unknown, operation: 'create' | 'destroy' | 'validate' | 'listener') => void
}

/**
 * What `pool.stats()` returns: levels now and counts since the pool was
 * created. `size === available + borrowed + creating + validating`, never more
 * than `max`; `acquires === hits + misses + rejected + pending`.
 * @public
 */
export interface ResourcePoolStats {
  /** The pool's `name`. */
  readonly name: string
  /** Where the pool is in its life. */
  readonly state: ResourcePoolState
  /** Resources alive or being created. */
  readonly size: number
  /** Idle resources, ready to lend. */
  readonly available: number
  /** Resources lent out now. */
  readonly borrowed: number
  /** Creates in flight. */
  readonly creating: number
  /** Resources being validated (on borrow or on return). */
  readonly validating: number
  /** Acquires waiting for a resource. */
  readonly pending: number
  /** Resources created since the start. */
  readonly created: number
  /** Resources destroyed since the start (for any {@link DestroyReason}). */
  readonly destroyed: number
  /** Failed creates since the start. */
  readonly createErrors: number
  /** Acquires since the start (each `use` is one), served or not. */
  readonly acquires: number
  /** Acquires served by a resource that already existed. */
  readonly hits: number
  /** Acquires served by a resource created for them. */
  readonly misses: number
  /** Acquires that ended without a resource: timed out, aborted, failed create, too many waiters, or drained. */
  readonly rejected: number
  /** `hits / (hits + misses)`; 0 before the first served acquire. */
  readonly hitRatio: number
  /** Mean time from acquire to lease of the served acquires, in ms (0 for one served at once). */
  readonly meanWaitMs: number
  /** The longest such wait, in ms. */
  readonly maxWaitMs: number
}

/**
 * A pool of reusable resources: created on demand up to `max`, lent one
 * borrower at a time, checked, evicted when idle, retired when worn, counted.
 * Implements core's `MetricsCollector`, so `@poolkit/metrics` can export its
 * figures, and `AsyncDisposable` (`await using pool = createResourcePool(...)`
 * drains it at the end of the block; typed where the TypeScript `lib` declares
 * `Symbol.asyncDispose`, see core's `AsyncDisposableLike`).
 * @public
 */
export interface ResourcePool<T> extends MetricsCollector, AsyncDisposableLike {
  /** The pool's `name`: the `name` label of its metrics. */
  readonly name: string
  /**
   * Borrows a resource: an idle one at once (the most recently returned, so the
   * rest can age out), else a new one when the pool is below `max`, else the
   * first one released, in the order the acquires came (FIFO).
   *
   * Rejects with the signal's `reason` when `options.signal` aborts while it
   * waits, `ResourceAcquireTimeoutError` past its timeout, `ResourceCreateError`
   * when creating fails and nothing else could serve it, `TooManyWaitersError`
   * past `maxWaiters`, `ResourcePoolDrainedError` once `drain()` was called. An
   * acquire that rejected has left the line and never receives a resource.
   */
  acquire(options?: AcquireOptions): Promise<ResourceLease<T>>
  /**
   * Acquires a resource, calls `fn` with it, and releases it when `fn` settles,
   * whether it returned or threw (`fn` may end the lease itself, such as with
   * `lease.destroy()` for a broken resource). Resolves or rejects as `fn` did.
   */
  use<R>(fn: (resource: T, lease: ResourceLease<T>) => R | PromiseLike<R>, options?: AcquireOptions): Promise<R>
  /**
   * Stops lending: new acquires reject with `ResourcePoolDrainedError`, the
   * acquires already waiting are still served, idle resources are destroyed at
   * once and borrowed ones as they come back. Resolves when every lease has
   * ended, every create and `destroy` call has settled, and no timer is left.
   * Calling it again returns the same promise.
   */
  drain(): Promise<void>
  /**
   * Destroys the idle resources now (borrowed ones are untouched); resolves
   * when their `destroy` calls settle. The pool then creates resources again
   * up to `min`.
   */
  clear(): Promise<void>
  /** Levels and counts now. */
  stats(): ResourcePoolStats
  /**
   * The pool's metric families (`resource_size`, `resource_hits_total`...),
   * each sample labelled with the pool's `name`. For `@poolkit/metrics`.
   */
  collect(): readonly CollectedMetric[]
  /**
   * Listens to an event; returns a function that removes the listener. An
   * event name other than `'create'`, `'destroy'` or `'error'`, or a listener
   * that is not a function, throws a `TypeError`.
   */
  on<K extends keyof ResourcePoolEvents<T>>(event: K, listener: ResourcePoolEvents<T>[K]): () => void
}

/**
 * Creates a pool of reusable resources: database connections, HTTP or SDK
 * clients, browser pages. Resources are created on demand (never more than
 * `max` at once, creates in flight included) and lent through leases; `min`
 * of them are kept warm. Options are checked here: a bad value throws a
 * `TypeError` naming it, values that conflict a `RangeError`.
 * @param options - `create` and `destroy`, and the settings in {@link ResourcePoolOptions}.
 * @returns A {@link ResourcePool} of whatever `create` makes.
 * @example
 * ```ts
 * import { createResourcePool } from '@poolkit/resource'
 *
 * const clients = createResourcePool({
 *   create: () => connect(process.env.DATABASE_URL),
 *   destroy: (client) => client.end(),
 *   validate: (client) => !client.closed,
 *   min: 2,
 *   max: 10,
 *   idleTimeoutMs: 30_000,
 *   acquireTimeoutMs: 5_000,
 * })
 *
 * const rows = await clients.use((client) => client.query('select 1'))
 * console.log(clients.stats().hitRatio)
 * await clients.drain()
 * ```
 * @public
 */
export function createResourcePool<T>(options: ResourcePoolOptions<T>): ResourcePool<T> {
  return new ResourcePoolImpl<T>(options)
}
