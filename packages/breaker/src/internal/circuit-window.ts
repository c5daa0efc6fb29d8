// The sliding windows a circuit measures its failure rate over.

/** Calls and bad calls (failures and slow calls) over a sliding window. */
export interface SlidingWindow {
  /** Records one call that ended at `now`; `bad` when it failed or was slow. */
  record(now: number, bad: boolean): void
  /** Calls in the window at `now`. */
  calls(now: number): number
  /** Bad calls in the window at `now`. */
  bad(now: number): number
  /** Forgets every call. */
  clear(): void
}

/** The last `size` calls: a ring of outcomes with running totals, O(1) per call. */
export class CountWindow implements SlidingWindow {
  private readonly ring: Uint8Array
  private next = 0
  private count = 0
  private badCount = 0

  constructor(size: number) {
    this.ring = new Uint8Array(size)
  }

  record(_now: number, bad: boolean): void {
    const size = this.ring.length
    if (this.count === size) this.badCount -= this.ring[this.next]!
    else this.count++
    this.ring[this.next] = bad ? 1 : 0
    if (bad) this.badCount++
    this.next = this.next + 1 === size ? 0 : this.next + 1
  }

  calls(): number {
    return this.count
  }

  bad(): number {
    return this.badCount
  }

  clear(): void {
    this.ring.fill(0)
    this.next = 0
    this.count = 0
    this.badCount = 0
  }
}

/**
 * The calls of the last `ms` milliseconds. Calls are kept in slices of
 * `max(1, floor(ms / 1000))` ms (at most about 2000 slices, whatever the call
 * rate), and a slice leaves the window once its start is `ms` or more in the
 * past. So a call leaves the window `ms` after it was recorded, or up to one
 * slice earlier; on a clock of whole milliseconds and a window under 2000 ms the
 * window is exact: a call at `t` is in it while `now - t < ms`.
 */
export class TimeWindow implements SlidingWindow {
  private readonly slice: number
  // A ring of slices, oldest at `head`: the slice's index (start / slice), its calls and bad calls.
  private index: Float64Array
  private callsIn: Float64Array
  private badIn: Float64Array
  private head = 0
  private length = 0
  private callTotal = 0
  private badTotal = 0

  constructor(private readonly ms: number) {
    this.slice = Math.max(1, Math.floor(ms / 1000))
    const capacity = Math.ceil(ms / this.slice) + 2
    this.index = new Float64Array(capacity)
    this.callsIn = new Float64Array(capacity)
    this.badIn = new Float64Array(capacity)
  }

  record(now: number, bad: boolean): void {
    this.evict(now)
    const slot = Math.floor(now / this.slice)
    const cap = this.index.length
    const last = (this.head + this.length - 1) % cap
    // A clock that does not move (or, wrongly, goes back) adds to the newest slice.
    if (this.length === 0 || slot > this.index[last]!) {
      if (this.length === cap) this.grow()
      const at = (this.head + this.length) % this.index.length
      this.index[at] = slot
      this.callsIn[at] = 0
      this.badIn[at] = 0
      this.length++
    }
    const newest = (this.head + this.length - 1) % this.index.length
    this.callsIn[newest]!++
    this.callTotal++
    if (bad) {
      this.badIn[newest]!++
      this.badTotal++
    }
  }

  calls(now: number): number {
    this.evict(now)
    return this.callTotal
  }

  bad(now: number): number {
    this.evict(now)
    return this.badTotal
  }

  clear(): void {
    this.head = 0
    this.length = 0
    this.callTotal = 0
    this.badTotal = 0
  }

  private evict(now: number): void {
    const cap = this.index.length
    while (this.length > 0 && this.index[this.head]! * this.slice <= now - this.ms) {
      this.callTotal -= this.callsIn[this.head]!
      this.badTotal -= this.badIn[this.head]!
      this.head = this.head + 1 === cap ? 0 : this.head + 1
      this.length--
    }
  }

  // Only reachable with a clock whose readings are not monotonic; kept so no call is ever lost.
  private grow(): void {
    const cap = this.index.length
    const copy = (from: Float64Array): Float64Array => {
      const to = new Float64Array(cap * 2)
      for (let i = 0; i < this.length; i++) to[i] = from[(this.head + i) % cap]!
      return to
    }
    this.index = copy(this.index)
    this.callsIn = copy(this.callsIn)
    this.badIn = copy(this.badIn)
    this.head = 0
  }
}
