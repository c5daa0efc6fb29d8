// What the rate limiter keeps for one limited key: a token bucket or a sliding window.

/** A rate limit with its defaults filled in. */
export interface Rate {
  /** Starts per second, `Infinity` for none. */
  readonly perSecond: number
  /** Bucket size (the token bucket's burst). */
  readonly burst: number
}

/** One key's meter: grants starts at the key's rate. */
export interface Meter {
  /** Takes one start now; `undefined` when granted, else the time (ms) the next one exists. */
  take(now: number): number | undefined
  /** Gives back the start taken last (a combined policy refused the task after this one granted it). */
  refund(now: number): void
  /** Starts available now. */
  available(now: number): number
  /** Starts at a new rate from now on; what was taken so far still counts. */
  setRate(rate: Rate, now: number): void
  /** Nothing taken that still counts: the meter is as good as a new one and may be dropped. */
  idle(now: number): boolean
}

// Tokens are fractional; a refill computed to land exactly on 1 may come out a
// hair under it, which must not cost another wait.
const EPSILON = 1e-9

/** A token bucket: `burst` tokens, refilled at `perSecond`; a start takes one. */
export class TokenBucket implements Meter {
  private perSecond: number
  private burst: number
  private tokens: number
  private last: number

  constructor(rate: Rate, now: number) {
    this.perSecond = rate.perSecond
    this.burst = rate.burst
    this.tokens = rate.burst
    this.last = now
  }

  private refill(now: number): void {
    // A clock never runs backwards; if one does, the bucket waits for it.
    if (now <= this.last) return
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000)
    this.last = now
  }

  take(now: number): number | undefined {
    this.refill(now)
    if (this.tokens >= 1 - EPSILON) {
      this.tokens = Math.max(0, this.tokens - 1)
      return undefined
    }
    return this.last + ((1 - this.tokens) * 1000) / this.perSecond
  }

  refund(now: number): void {
    this.refill(now)
    this.tokens = Math.min(this.burst, this.tokens + 1)
  }

  available(now: number): number {
    this.refill(now)
    return this.tokens
  }

  setRate(rate: Rate, now: number): void {
    this.refill(now)
    this.perSecond = rate.perSecond
    this.burst = rate.burst
    this.tokens = Math.min(this.tokens, rate.burst)
  }

  idle(now: number): boolean {
    this.refill(now)
    return this.tokens >= this.burst - EPSILON
  }
}

const WINDOW_MS = 1000

/**
 * A sliding window: at most `perSecond` starts in any 1,000 ms. Keeps the
 * times of the last `perSecond` starts in a ring, so its memory is bounded by
 * the rate and each call is O(1) amortized.
 */
export class SlidingWindow implements Meter {
  private max: number
  private ring: number[]
  private head = 0
  private size = 0

  constructor(rate: Rate) {
    this.max = rate.perSecond
    this.ring = new Array<number>(rate.perSecond)
  }

  private at(i: number): number {
    return this.ring[(this.head + i) % this.ring.length]!
  }

  /** Drops the starts that left the window: a start at t counts while now < t + 1000. */
  private expire(now: number): void {
    while (this.size > 0 && this.at(0) + WINDOW_MS <= now) {
      this.head = (this.head + 1) % this.ring.length
      this.size--
    }
  }

  take(now: number): number | undefined {
    this.expire(now)
    if (this.size < this.max) {
      this.ring[(this.head + this.size) % this.ring.length] = now
      this.size++
      return undefined
    }
    return this.at(0) + WINDOW_MS
  }

  refund(): void {
    if (this.size > 0) this.size--
  }

  available(now: number): number {
    this.expire(now)
    return this.max - this.size
  }

  setRate(rate: Rate, now: number): void {
    this.expire(now)
    // Only the newest `max` starts can decide whether another fits in the window.
    const keep = Math.min(this.size, rate.perSecond)
    const times: number[] = []
    for (let i = this.size - keep; i < this.size; i++) times.push(this.at(i))
    this.max = rate.perSecond
    this.ring = new Array<number>(rate.perSecond)
    for (let i = 0; i < keep; i++) this.ring[i] = times[i]!
    this.head = 0
    this.size = keep
  }

  idle(now: number): boolean {
    this.expire(now)
    return this.size === 0
  }
}
