import type { Clock, CollectedMetric, DisposableLike, MetricsCollector } from '@poolkit/core'
import { KeyRingImpl } from './internal/key-ring-impl.js'
import type { AcquireOptions } from './options.js'

/**
 * How long to set a key aside, as a provider says it: a number of
 * milliseconds; a string holding an HTTP `Retry-After` header's value,
 * delay-seconds (`'30'`) or an HTTP-date; or a `Date`. `undefined` or `null`
 * (no header) means the ring's `cooldownMs`, and so does a header value that
 * cannot be read. A time in the past sets the key aside for 0 ms.
 * @public
 */
export type RetryAfter = number | string | Date | null | undefined

/**
 * Options of {@link createKeyRing}.
 * @public
 */
export interface KeyRingOptions<K> {
  /**
   * How long a key is set aside after a 429 when no Retry-After is given, in ms.
   * @defaultValue `60_000`
   */
  cooldownMs?: number | undefined
  /**
   * Leases of one key that may be out at once. API keys can usually serve
   * many requests at a time, so by default a key is shared: the ring hands
   * keys out in turn, not exclusively. Set 1 to lend each key to one caller at
   * a time (a session, a single-flight credential).
   * @defaultValue `Infinity`
   */
  concurrencyPerKey?: number | undefined
  /**
   * How long an acquire waits when no key is available (all cooling down, or
   * all at `concurrencyPerKey`) before it fails with a
   * `ResourceAcquireTimeoutError`. A cooldown always ends, so by default it
   * waits for the first key to come back.
   * @defaultValue `Infinity`
   */
  acquireTimeoutMs?: number | undefined
  /**
   * Which errors thrown by `use(fn)` mean "rate limited": return `true` to set
   * the key aside for `cooldownMs`, a {@link RetryAfter} value to set it aside
   * for that long, or `false`/`undefined` to leave it. The error still rejects `use`.
   * @defaultValue none: `use` sets no key aside by itself
   * @example
   * ```ts
   * cooldownOn: (error) => error instanceof HttpError && error.status === 429 && (error.headers.get('retry-after') ?? true)
   * ```
   */
  cooldownOn?: ((error: unknown) => RetryAfter | boolean) | undefined
  /**
   * The name of a key in stats and metrics (the `key` label). The key itself
   * is never used: it is a secret.
   * @defaultValue the key's index in `keys`, as a string (`'0'`, `'1'`...)
   */
  label?: ((key: K, index: number) => string) | undefined
  /**
   * The ring's name: the `name` label of its metrics.
   * @defaultValue `'default'`
   */
  name?: string | undefined
  /**
   * Where time comes from (cooldowns, timeouts, wait times); core's
   * `createVirtualClock()` in tests. While an acquire waits, its timeout and
   * the cooldown timer keep the process alive; a cooldown with nobody waiting
   * is unref'd where the clock can, so it never holds the process open.
   * @defaultValue core's `systemClock`
   */
  clock?: Clock | undefined
}

/**
 * One lending of a key, from `acquire()` to `release()` or `coolDown()`.
 * `Disposable`: `using lease = await ring.acquire()` releases it at the end of the block
 * (where the TypeScript `lib` declares `Symbol.dispose`; see core's `DisposableLike`).
 * @public
 */
export interface KeyLease<K> extends DisposableLike {
  /** The key. */
  readonly key: K
  /** Its index in the ring's `keys`. */
  readonly index: number
  /** Whether the lease has ended. */
  readonly released: boolean
  /**
   * Ends the lease.
   * @throws `LeaseReleasedError` when it has already ended.
   */
  release(): void
  /**
   * Reports a 429: sets the key aside for `retryAfter` (the ring's
   * `cooldownMs` when left out) and ends the lease if it is still out. Works
   * after the lease ended too (the key is set aside all the same). A key
   * already set aside for longer keeps the longer cooldown.
   */
  coolDown(retryAfter?: RetryAfter): void
}

/**
 * One key, as `ring.stats().keys` lists it.
 * @public
 */
export interface KeyStats {
  /** The key's label (see `label`). */
  readonly label: string
  /** Its index in `keys`. */
  readonly index: number
  /** Times it was lent. */
  readonly uses: number
  /** Times it was set aside (each `coolDown`). */
  readonly cooldowns: number
  /** Leases of it out now. */
  readonly inUse: number
  /** When its cooldown ends, on the ring's clock (ms); -1 when it is not cooling down. */
  readonly coolingUntil: number
}

/**
 * What `ring.stats()` returns.
 * @public
 */
export interface KeyRingStats {
  /** The ring's `name`. */
  readonly name: string
  /** `'closed'` after `close()`. */
  readonly state: 'open' | 'closed'
  /** Keys in the ring. */
  readonly size: number
  /** Keys that could be lent now (not cooling down, under `concurrencyPerKey`). */
  readonly available: number
  /** Keys cooling down now. */
  readonly coolingDown: number
  /** Acquires waiting for a key. */
  readonly pending: number
  /** Acquires since the start, served or not. */
  readonly acquires: number
  /** Acquires that ended without a key (timed out, aborted, closed). */
  readonly rejected: number
  /** Mean time from acquire to lease of the served acquires, in ms. */
  readonly meanWaitMs: number
  /** The longest such wait, in ms. */
  readonly maxWaitMs: number
  /** Each key, in the order of `keys`. */
  readonly keys: readonly KeyStats[]
}

/**
 * A fixed set of keys (API keys, tokens, accounts) lent round-robin, with the
 * keys that hit a rate limit set aside for their cooldown. Implements core's
 * `MetricsCollector` and `Disposable` (`using ring = createKeyRing(...)` closes it;
 * typed where the TypeScript `lib` declares `Symbol.dispose`).
 * @public
 */
export interface KeyRing<K> extends MetricsCollector, DisposableLike {
  /** The ring's `name`: the `name` label of its metrics. */
  readonly name: string
  /**
   * Lends the next available key in turn. When none is available it waits, in
   * FIFO order, for the first to come back; rejects with the signal's `reason`
   * when `options.signal` aborts meanwhile, `ResourceAcquireTimeoutError` past
   * its timeout, `ResourcePoolDrainedError` once the ring is closed.
   */
  acquire(options?: AcquireOptions): Promise<KeyLease<K>>
  /**
   * Acquires a key, calls `fn` with it and ends the lease when `fn` settles.
   * An error that `cooldownOn` recognises sets the key aside first.
   */
  use<R>(fn: (key: K, lease: KeyLease<K>) => R | PromiseLike<R>, options?: AcquireOptions): Promise<R>
  /**
   * Sets `key` aside for `retryAfter` (the ring's `cooldownMs` when left out),
   * as `lease.coolDown` does, for a 429 seen outside a lease.
   * @throws `TypeError` when `key` is not in the ring.
   */
  coolDown(key: K, retryAfter?: RetryAfter): void
  /** Per-key uses and cooldowns, and the ring's levels and counts. */
  stats(): KeyRingStats
  /**
   * The ring's metric families (`resource_key_uses_total`...), labelled with
   * the ring's `name` and, per key, its `key` label. For `@poolkit/metrics`.
   */
  collect(): readonly CollectedMetric[]
  /**
   * Closes the ring: waiting and later acquires reject with
   * `ResourcePoolDrainedError`; its timers are cleared. Leases out stay valid
   * until released.
   */
  close(): void
}

/**
 * Creates a key ring: round-robin over a fixed set of keys, with 429 cooldowns.
 * Keys are shared by default (several callers may hold one key at once; see
 * `concurrencyPerKey`). Options are checked here, like the pool's.
 * @param keys - The keys, at least one, no duplicates. Any values: strings, or
 *   objects such as `{ id, secret }`.
 * @param options - `cooldownMs` and the settings in {@link KeyRingOptions}.
 * @example
 * ```ts
 * import { createKeyRing } from '@poolkit/resource'
 *
 * const ring = createKeyRing([process.env.KEY_A!, process.env.KEY_B!], { cooldownMs: 30_000 })
 *
 * const answer = await ring.use(async (key, lease) => {
 *   const response = await fetch(url, { headers: { authorization: `Bearer ${key}` } })
 *   if (response.status === 429) {
 *     lease.coolDown(response.headers.get('retry-after')) // the next call gets the other key
 *     throw new Error('rate limited')
 *   }
 *   return response.json()
 * })
 * ```
 * @public
 */
export function createKeyRing<K>(keys: readonly K[], options?: KeyRingOptions<K>): KeyRing<K> {
  return new KeyRingImpl<K>(keys, options)
}
