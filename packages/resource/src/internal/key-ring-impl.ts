import { systemClock } from '@poolkit/core'
import type { Clock, CollectedMetric, TimerHandle } from '@poolkit/core'
import { rethrowLater } from '@poolkit/core/emitter'
import { LeaseReleasedError, ResourceAcquireTimeoutError, ResourcePoolDrainedError } from '../errors.js'
import type { KeyLease, KeyRing, KeyRingOptions, KeyRingStats, KeyStats, RetryAfter } from '../key-ring.js'
import type { AcquireOptions } from '../options.js'
import { Line, type LineNode } from './line.js'
import { family, single, waitSeconds } from './metrics.js'
import { checkAcquireOptions } from './pool-options.js'
import { cooldownFrom } from './retry-after.js'
import { setTimer, Timer } from './timers.js'
import * as check from './validate.js'

/** One key's state. */
class Entry<K> {
  uses = 0
  cooldowns = 0
  inUse = 0
  /** When its cooldown ends (clock ms); -1 when it is not cooling down. */
  coolingUntil = -1

  constructor(
    readonly key: K,
    readonly index: number,
    readonly label: string,
  ) {}
}

class KeyWaiter<K> implements LineNode<KeyWaiter<K>> {
  prev: KeyWaiter<K> | undefined = undefined
  next: KeyWaiter<K> | undefined = undefined
  queued = false
  done = false
  timer: TimerHandle | undefined = undefined
  onAbort: (() => void) | undefined = undefined

  constructor(
    readonly resolve: (lease: KeyLease<K>) => void,
    readonly reject: (reason: unknown) => void,
    readonly enqueuedAt: number,
    readonly signal: AbortSignal | undefined,
  ) {}
}

class KeyLeaseImpl<K> implements KeyLease<K> {
  released = false

  constructor(
    private readonly ring: KeyRingImpl<K>,
    readonly key: K,
    readonly index: number,
  ) {}

  release(): void {
    if (this.released) throw new LeaseReleasedError('release')
    this.released = true
    this.ring.giveBack(this.index)
  }

  coolDown(retryAfter?: RetryAfter): void {
    this.ring.coolDownAt(this.index, cooldownFrom('coolDown(retryAfter): retryAfter', retryAfter, this.ring.cooldownMs))
    if (!this.released) {
      this.released = true
      this.ring.giveBack(this.index)
    }
  }

  [Symbol.dispose](): void {
    if (!this.released) this.release()
  }
}

export class KeyRingImpl<K> implements KeyRing<K> {
  readonly name: string
  readonly cooldownMs: number
  private readonly concurrencyPerKey: number
  private readonly acquireTimeoutMs: number
  private readonly cooldownOn: ((error: unknown) => RetryAfter | boolean) | undefined
  private readonly clock: Clock
  private readonly entries: Entry<K>[]
  private readonly indexOf = new Map<K, number>()
  private readonly line = new Line<KeyWaiter<K>>()
  private closed = false
  /** Where the next round-robin search starts. */
  private cursor = 0
  private cooling = 0
  /**
   * One timer, at the earliest cooldown end. It keeps the process alive only
   * while an acquire waits (it may be what that acquire waits for); a cooldown
   * with nobody waiting is housekeeping and never holds the process open.
   */
  private readonly cooldownTimer: Timer

  private acquires = 0
  private rejected = 0
  private served = 0
  private waitTotal = 0
  private waitMax = 0

  constructor(keys: readonly K[], options?: KeyRingOptions<K>) {
    if (!Array.isArray(keys) || keys.length === 0) throw new TypeError(`keys must be a non-empty array, got ${check.describe(keys)}${Array.isArray(keys) ? ' (empty)' : ''}`)
    const o = check.optionsObject('options', options)
    this.cooldownMs = o.cooldownMs === undefined ? 60_000 : check.finiteDuration('options.cooldownMs', o.cooldownMs)
    this.concurrencyPerKey = o.concurrencyPerKey === undefined ? Infinity : check.positiveIntegerOrInfinity('options.concurrencyPerKey', o.concurrencyPerKey)
    this.acquireTimeoutMs = o.acquireTimeoutMs === undefined ? Infinity : check.durationOrInfinity('options.acquireTimeoutMs', o.acquireTimeoutMs)
    check.optionalFunction('options.cooldownOn', o.cooldownOn)
    this.cooldownOn = o.cooldownOn
    check.optionalFunction('options.label', o.label)
    this.name = o.name === undefined ? 'default' : check.nonEmptyString('options.name', o.name)
    if (o.clock !== undefined) check.objectWith('options.clock', o.clock, ['now', 'setTimeout', 'clearTimeout'])
    this.clock = o.clock ?? systemClock
    this.cooldownTimer = new Timer(this.clock, () => this.onTimer())
    this.entries = keys.map((key: K, index) => {
      const first = this.indexOf.get(key)
      if (first !== undefined) throw new RangeError(`keys[${index}] is the same key as keys[${first}]: each key may be in the ring once`)
      this.indexOf.set(key, index)
      const label = o.label === undefined ? String(index) : o.label(key, index)
      if (typeof label !== 'string') throw new TypeError(`options.label must return a string, got ${check.describe(label)} for keys[${index}]`)
      return new Entry(key, index, label)
    })
  }

  // ---------------------------------------------------------------- lending

  acquire(options?: AcquireOptions): Promise<KeyLease<K>> {
    let signal: AbortSignal | undefined
    let timeoutMs = this.acquireTimeoutMs
    if (options !== undefined) {
      checkAcquireOptions('options', options)
      signal = options.signal
      if (options.timeoutMs !== undefined) timeoutMs = options.timeoutMs
    }
    this.acquires++
    if (this.closed) {
      this.rejected++
      return Promise.reject(new ResourcePoolDrainedError('The key ring is closed'))
    }
    if (signal !== undefined && signal.aborted) {
      this.rejected++
      return Promise.reject(signal.reason)
    }
    if (this.line.length === 0) {
      const entry = this.pick()
      if (entry !== undefined) {
        this.served++
        return Promise.resolve(this.lend(entry))
      }
    }
    return new Promise<KeyLease<K>>((resolve, reject) => {
      const waiter = new KeyWaiter<K>(resolve, reject, this.clock.now(), signal)
      this.line.push(waiter)
      this.cooldownTimer.hold(true)
      // Exists only while this acquire waits, and is its only bound: kept alive.
      if (timeoutMs !== Infinity) {
        waiter.timer = setTimer(this.clock, () => this.leave(waiter, new ResourceAcquireTimeoutError(timeoutMs)), timeoutMs, true)
      }
      if (signal !== undefined) {
        const onAbort = (): void => this.leave(waiter, signal.reason)
        waiter.onAbort = onAbort
        signal.addEventListener('abort', onAbort, { once: true })
      }
    })
  }

  async use<R>(fn: (key: K, lease: KeyLease<K>) => R | PromiseLike<R>, options?: AcquireOptions): Promise<R> {
    const lease = await this.acquire(options)
    const signal = options?.signal
    if (signal !== undefined && signal.aborted) {
      lease.release()
      throw signal.reason
    }
    try {
      return await fn(lease.key, lease)
    } catch (error) {
      if (this.cooldownOn !== undefined) this.coolDownFor(lease, error)
      throw error
    } finally {
      if (!lease.released) lease.release()
    }
  }

  private coolDownFor(lease: KeyLease<K>, error: unknown): void {
    let hint: RetryAfter | boolean
    try {
      hint = this.cooldownOn!(error)
    } catch (thrown) {
      // A broken predicate must not hide the error `fn` threw: surface it apart.
      rethrowLater(thrown)
      return
    }
    if (hint === false || hint === undefined) return
    lease.coolDown(hint === true ? undefined : hint)
  }

  /** The next key in turn that can be lent now, moving the cursor past it. */
  private pick(): Entry<K> | undefined {
    const entries = this.entries
    const n = entries.length
    const limit = this.concurrencyPerKey
    for (let i = 0, at = this.cursor; i < n; i++, at = at + 1 === n ? 0 : at + 1) {
      const entry = entries[at]!
      if (entry.coolingUntil === -1 && entry.inUse < limit) {
        this.cursor = at + 1 === n ? 0 : at + 1
        return entry
      }
    }
    return undefined
  }

  private lend(entry: Entry<K>): KeyLease<K> {
    entry.uses++
    entry.inUse++
    return new KeyLeaseImpl(this, entry.key, entry.index)
  }

  /** Serves waiters, in order, while keys are available. */
  private dispatch(): void {
    while (this.line.length > 0) {
      const entry = this.pick()
      if (entry === undefined) return
      const waiter = this.line.head!
      this.finish(waiter)
      const wait = this.clock.now() - waiter.enqueuedAt
      this.served++
      this.waitTotal += wait
      if (wait > this.waitMax) this.waitMax = wait
      waiter.resolve(this.lend(entry))
    }
  }

  private finish(waiter: KeyWaiter<K>): void {
    this.line.remove(waiter)
    waiter.done = true
    if (waiter.timer !== undefined) this.clock.clearTimeout(waiter.timer)
    if (waiter.onAbort !== undefined) waiter.signal!.removeEventListener('abort', waiter.onAbort)
    if (this.line.length === 0) this.cooldownTimer.hold(false)
  }

  private leave(waiter: KeyWaiter<K>, reason: unknown): void {
    if (waiter.done) return
    this.finish(waiter)
    this.rejected++
    waiter.reject(reason)
  }

  /** Called by a lease when it ends. */
  giveBack(index: number): void {
    this.entries[index]!.inUse--
    if (this.concurrencyPerKey !== Infinity && this.line.length > 0) this.dispatch()
  }

  // ---------------------------------------------------------------- cooldowns

  coolDown(key: K, retryAfter?: RetryAfter): void {
    const index = this.indexOf.get(key)
    if (index === undefined) throw new TypeError(`coolDown(key): the key is not in the ring (got ${check.describe(key)})`)
    this.coolDownAt(index, cooldownFrom('coolDown(key, retryAfter): retryAfter', retryAfter, this.cooldownMs))
  }

  /** Sets a key aside for `ms`; a longer cooldown already running is kept. */
  coolDownAt(index: number, ms: number): void {
    const entry = this.entries[index]!
    entry.cooldowns++
    if (ms <= 0 || this.closed) return
    const until = this.clock.now() + ms
    if (entry.coolingUntil >= until) return
    if (entry.coolingUntil === -1) this.cooling++
    entry.coolingUntil = until
    this.armTimer(until)
  }

  private armTimer(at: number): void {
    if (this.cooldownTimer.armed && this.cooldownTimer.at <= at) return
    this.cooldownTimer.arm(at, this.line.length > 0)
  }

  /** Brings back the keys whose cooldown has ended, serves waiters, and re-arms for the next. */
  private onTimer(): void {
    const now = this.clock.now()
    let next = Infinity
    for (const entry of this.entries) {
      if (entry.coolingUntil === -1) continue
      if (entry.coolingUntil <= now) {
        entry.coolingUntil = -1
        this.cooling--
      } else if (entry.coolingUntil < next) {
        next = entry.coolingUntil
      }
    }
    this.dispatch()
    if (next !== Infinity) this.armTimer(next)
  }

  // ---------------------------------------------------------------- life cycle and figures

  close(): void {
    if (this.closed) return
    this.closed = true
    this.cooldownTimer.clear()
    for (const waiter of this.line.drain()) {
      this.finish(waiter)
      this.rejected++
      waiter.reject(new ResourcePoolDrainedError('The key ring is closed'))
    }
  }

  [Symbol.dispose](): void {
    this.close()
  }

  stats(): KeyRingStats {
    const keys: KeyStats[] = this.entries.map((e) => ({
      label: e.label,
      index: e.index,
      uses: e.uses,
      cooldowns: e.cooldowns,
      inUse: e.inUse,
      coolingUntil: e.coolingUntil,
    }))
    const available = this.entries.filter((e) => e.coolingUntil === -1 && e.inUse < this.concurrencyPerKey).length
    return {
      name: this.name,
      state: this.closed ? 'closed' : 'open',
      size: this.entries.length,
      available: this.closed ? 0 : available,
      coolingDown: this.cooling,
      pending: this.line.length,
      acquires: this.acquires,
      rejected: this.rejected,
      meanWaitMs: this.served === 0 ? 0 : this.waitTotal / this.served,
      maxWaitMs: this.waitMax,
      keys,
    }
  }

  collect(): readonly CollectedMetric[] {
    const s = this.stats()
    const name = this.name
    const perKey = (value: (k: KeyStats) => number) => s.keys.map((k) => ({ labels: { name, key: k.label }, value: value(k) }))
    return [
      family(
        'resource_key_uses_total',
        'Times each key was lent',
        'counter',
        perKey((k) => k.uses),
      ),
      family(
        'resource_key_cooldowns_total',
        'Times each key was set aside after a rate limit',
        'counter',
        perKey((k) => k.cooldowns),
      ),
      family(
        'resource_key_cooling',
        'Whether each key is cooling down now (1) or not (0)',
        'gauge',
        perKey((k) => (k.coolingUntil === -1 ? 0 : 1)),
      ),
      family(
        'resource_key_in_use',
        'Leases of each key out now',
        'gauge',
        perKey((k) => k.inUse),
      ),
      single('resource_key_available', 'Keys that could be lent now', 'gauge', { name }, s.available),
      single('resource_key_pending', 'Acquires waiting for a key', 'gauge', { name }, s.pending),
      single('resource_key_acquires_total', 'Key acquires, served or not', 'counter', { name }, s.acquires),
      single('resource_key_rejected_total', 'Key acquires that ended without a key', 'counter', { name }, s.rejected),
      waitSeconds('resource_key', 'Time from acquire to key lease since the start: mean and max', name, s.meanWaitMs, s.maxWaitMs),
    ]
  }
}
