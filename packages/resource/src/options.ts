import type { Clock } from '@poolkit/core'

/**
 * How the pool spaces its attempts after `create` fails: the n-th failure in a
 * row waits `initialMs * factor^(n-1)`, at most `maxMs`, before the next try.
 *
 * Failures that overlap in time count as one: a create that started before
 * the last counted failure happened takes no further step (its next try still
 * waits the current step after it). So a burst of 10 acquires on an empty pool
 * while the database is down is one failure, a 100 ms wait by default, not ten
 * (100 ms × 2⁹, capped at 30 s); after that the pool tries one create at a
 * time, so each later failure is a step of its own. `stats().createErrors`
 * still counts every failed create.
 * @public
 */
export interface CreateBackoffOptions {
  /**
   * The wait after the first failure (or the first burst of failures that
   * overlap in time), in ms.
   * @defaultValue `100`
   */
  initialMs?: number | undefined
  /**
   * What each further failure in a row multiplies the wait by (1 for a
   * constant wait); failures that overlap the last counted one do not.
   * @defaultValue `2`
   */
  factor?: number | undefined
  /**
   * The longest wait, in ms.
   * @defaultValue `30_000`
   */
  maxMs?: number | undefined
}

/**
 * Options of {@link createResourcePool}. Only `create` and `destroy` are
 * required; the rest have defaults.
 * @public
 */
export interface ResourcePoolOptions<T> {
  /**
   * Makes a new resource (opens a connection, builds a client). May return a
   * promise. A throw or a rejection is a failed create: the pool backs off (see
   * `createBackoff`) and the acquires that have nothing else to wait for fail
   * with a `ResourceCreateError` whose `cause` is that error.
   */
  create: () => T | PromiseLike<T>
  /**
   * Closes a resource the pool is done with (evicted, retired, invalid,
   * destroyed through its lease, cleared or drained). May return a promise;
   * `drain()` waits for it. Errors are reported to `on('error')` listeners
   * and otherwise ignored: the resource is gone from the pool either way.
   */
  destroy: (resource: T) => void | PromiseLike<void>
  /**
   * Checks an existing resource before it is lent (`true` = usable). A resource
   * that fails it (returns anything but `true`, throws or rejects) is destroyed
   * and the acquire is served by the next one, or a new one. A resource fresh
   * from `create` is lent without this check.
   * @defaultValue none: every resource is taken as usable
   */
  validate?: ((resource: T) => boolean | PromiseLike<boolean>) | undefined
  /**
   * Also runs `validate` when a lease is released; a resource that fails is
   * destroyed instead of going back to the pool.
   * @defaultValue `false`
   */
  validateOnReturn?: boolean | undefined
  /**
   * Resources kept warm: the pool creates them at once and replaces them when
   * they go, and idle eviction never takes the pool below it.
   * @defaultValue `0`
   */
  min?: number | undefined
  /**
   * The most resources at once, those being created included (so a burst of
   * acquires never opens more than `max` connections).
   * @defaultValue `10`
   */
  max?: number | undefined
  /**
   * A resource idle this long is destroyed, oldest first, while the pool holds
   * more than `min`. `Infinity` keeps idle resources.
   * @defaultValue `30_000`
   */
  idleTimeoutMs?: number | undefined
  /**
   * How long an acquire waits for a resource before it fails with a
   * `ResourceAcquireTimeoutError`. `Infinity` waits for ever; each acquire may
   * set its own `timeoutMs`.
   * @defaultValue `30_000`
   */
  acquireTimeoutMs?: number | undefined
  /**
   * Times a resource is lent before it is retired (destroyed on its release
   * and replaced when needed).
   * @defaultValue `Infinity`
   */
  maxUses?: number | undefined
  /**
   * Age in ms (since its create finished) past which a resource is retired: an
   * idle one is destroyed at that age, a borrowed one when it is released.
   * @defaultValue `Infinity`
   */
  maxLifetimeMs?: number | undefined
  /**
   * Acquires that may wait at once; past it, an acquire that would have to
   * wait fails with a `TooManyWaitersError`.
   * @defaultValue `Infinity`
   */
  maxWaiters?: number | undefined
  /**
   * Spacing of create attempts after failures; failures that overlap in time
   * (a burst of concurrent creates) count as one step (see {@link CreateBackoffOptions}).
   * @defaultValue `{ initialMs: 100, factor: 2, maxMs: 30_000 }`
   */
  createBackoff?: CreateBackoffOptions | undefined
  /**
   * The pool's name: the `name` label of its metrics, so several pools can be
   * exported side by side.
   * @defaultValue `'default'`
   */
  name?: string | undefined
  /**
   * Where time comes from (timeouts, idle eviction, lifetimes, backoff, wait
   * times). Use core's `createVirtualClock()` in tests. While an acquire
   * waits, the timers it depends on keep the process alive: its timeout and
   * the create backoff. The others (idle eviction, lifetimes, a backoff that
   * only restores `min`) are unref'd where the clock supports it, so a pool
   * nobody waits on never keeps the process alive.
   * @defaultValue core's `systemClock`
   */
  clock?: Clock | undefined
}

/**
 * Options of one acquire (`acquire`, `use`).
 * @public
 */
export interface AcquireOptions {
  /**
   * Cancels the wait: the acquire leaves the line and rejects with the
   * signal's `reason`. A signal that aborts after the lease was handed over
   * changes nothing (the lease is the caller's to release), except in `use`,
   * which then releases it and rejects before running `fn`.
   * @defaultValue none
   */
  signal?: AbortSignal | undefined
  /**
   * This acquire's own timeout in ms, instead of the pool's `acquireTimeoutMs`.
   * @defaultValue the pool's `acquireTimeoutMs`
   */
  timeoutMs?: number | undefined
}
