// What the rate limiter keeps for one limited key: a token bucket or a sliding window.

import type { Linked } from './order-list.js'

/** A rate limit with its defaults filled in. */
export interface Rate {
  /** Starts per second, `Infinity` for none. */
  readonly perSecond: number
  /** Bucket size (the token bucket's burst). */
  readonly burst: number
}

/** One key's meter: grants starts at the key's rate. Linked into the limiter's order of meters. */
export interface Meter extends Linked<Meter> {
  /** The key it meters. */
  readonly key: string | undefined
  /** When its key last asked for a start, on the clock (ms). */
  usedAt: number
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
  /** When the meter will be idle if nothing more is taken (`now` if it is). */
  idleAt(now: number): number
}

// Tokens are fractional; a refill computed to land exactly on 1 may come out a
// hair under it, which must not cost another wait.
const EPSILON = 1e-9

/** A token bucket: `burst` tokens, refilled at `perSecond`; a start takes one. */
export class TokenBucket implements Meter {
  prev: Meter | undefined = undefined
  next: Meter | undefined = undefined
  listed = false
  usedAt = -Infinity
  private perSecond: number
  private burst: number
  private tokens: number
  private last: number

  constructor(
    readonly key: string | undefined,
    rate: Rate,
    now: number,
  ) {
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

  idleAt(now: number): number {
    return this.idle(now) ? now : this.last + ((this.burst - this.tokens) * 1000) / this.perSecond
  }
}

const WINDOW_MS = 1000
/** The ring's size when it first holds a start, and the least it shrinks back to while it holds any. */
const MIN_CAPACITY = 4
/** The ring of a window with no start in it (never written: a start first grows the ring). */
const EMPTY: number[] = []

/**
 * A sliding window: at most `perSecond` starts in any 1,000 ms. Keeps a ring
 * of (slice, starts) entries, oldest first: the starts of one millisecond
 * share an entry, stamped with the end of their millisecond (`ceil(now)`), so
 * a start counts for up to 1 ms longer than its exact 1,000 ms, never
 * shorter: the limit holds exactly, and a wait may end up to 1 ms later than
 * an exact log's. A window thus holds at most 1,001 entries whatever its rate
 * (and none when idle); the ring grows as entries come and shrinks as they
 * leave, so memory follows the starts in the window, never `perSecond`. Each
 * call is O(1) amortized.
 */
export class SlidingWindow implements Meter {
  prev: Meter | undefined = undefined
  next: Meter | undefined = undefined
  listed = false
  usedAt = -Infinity
  private max: number
  /** Entry i at [2i] (slice end, ms) and [2i + 1] (starts); a power of two of entries, or none. */
  private ring: number[] = EMPTY
  private head = 0
  private size = 0
  /** Starts in the window: the sum of the entries' starts. */
  private total = 0

  constructor(
    readonly key: string | undefined,
    rate: Rate,
  ) {
    this.max = rate.perSecond
  }

  /** Entries in the ring now (for tests: at most 1,001). */
  get entries(): number {
    return this.size
  }

  /** Entries the ring has room for (for tests: memory follows the entries). */
  get capacity(): number {
    return this.ring.length / 2
  }

  /** The ring index of entry i (0 is the oldest). */
  private slot(i: number): number {
    return ((this.head + i) & (this.capacity - 1)) * 2
  }

  /** Drops the starts that left the window: a start stamped c counts while now < c + 1000. */
  private expire(now: number): void {
    const before = this.size
    while (this.size > 0) {
      const at = this.head * 2
      if (this.ring[at]! + WINDOW_MS > now) break
      this.total -= this.ring[at + 1]!
      this.head = (this.head + 1) & (this.capacity - 1)
      this.size--
    }
    // A quarter full: half the room (amortized O(1), as the doubling is); empty: none at all.
    if (this.size === before) return
    if (this.size === 0) this.resize(0)
    else if (this.capacity > MIN_CAPACITY && this.size <= this.capacity / 4) this.resize(this.capacity / 2)
  }

  /** Moves the entries into a ring of `capacity` entries (0: none). */
  private resize(capacity: number): void {
    if (capacity === 0) {
      this.ring = EMPTY
    } else {
      const ring = new Array<number>(capacity * 2).fill(0)
      for (let i = 0; i < this.size; i++) {
        const from = this.slot(i)
        ring[i * 2] = this.ring[from]!
        ring[i * 2 + 1] = this.ring[from + 1]!
      }
      this.ring = ring
    }
    this.head = 0
  }

  take(now: number): number | undefined {
    this.expire(now)
    if (this.total >= this.max) return this.ring[this.head * 2]! + WINDOW_MS
    const slice = Math.ceil(now)
    const last = this.size === 0 ? -1 : this.slot(this.size - 1)
    // The same millisecond, or a clock that went back: the newest entry's stamp is the later one.
    if (last !== -1 && this.ring[last]! >= slice) {
      this.ring[last + 1]!++
    } else {
      if (this.size === this.capacity) this.resize(Math.max(MIN_CAPACITY, this.capacity * 2))
      const at = this.slot(this.size)
      this.ring[at] = slice
      this.ring[at + 1] = 1
      this.size++
    }
    this.total++
    return undefined
  }

  refund(): void {
    if (this.size === 0) return
    const last = this.slot(this.size - 1)
    this.total--
    if (--this.ring[last + 1]! === 0) this.size--
  }

  available(now: number): number {
    this.expire(now)
    return this.max - this.total
  }

  setRate(rate: Rate, now: number): void {
    this.expire(now)
    // Only the newest `max` starts can decide whether another fits in the window.
    while (this.total > rate.perSecond) {
      const at = this.head * 2
      const excess = this.total - rate.perSecond
      if (this.ring[at + 1]! > excess) {
        this.ring[at + 1]! -= excess
        this.total -= excess
      } else {
        this.total -= this.ring[at + 1]!
        this.head = (this.head + 1) & (this.capacity - 1)
        this.size--
      }
    }
    this.max = rate.perSecond
  }

  idle(now: number): boolean {
    this.expire(now)
    return this.size === 0
  }

  idleAt(now: number): number {
    this.expire(now)
    return this.size === 0 ? now : this.ring[this.slot(this.size - 1)]! + WINDOW_MS
  }
}
