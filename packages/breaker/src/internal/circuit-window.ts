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

/** The ring of a window with no call: never written (the first call makes a ring of its own). */
const NONE: number[] = []

/**
 * The last `size` calls: a ring of outcomes with running totals, O(1) per call.
 * The ring grows with the calls up to `size`, so a circuit that saw a few calls
 * (a keyed circuit made for one task) holds a few entries, not `size`.
 */
export class CountWindow implements SlidingWindow {
  /** 1 for a bad call, 0 for a good one; oldest at `next` once `size` long. */
  private ring: number[] = NONE
  private next = 0
  private badCount = 0

  constructor(private readonly size: number) {}

  record(_now: number, bad: boolean): void {
    const outcome = bad ? 1 : 0
    if (this.ring.length === 0) {
      // A literal of one: push would reserve 17 places for a circuit that may see one call.
      this.ring = [outcome]
    } else if (this.ring.length < this.size) {
      this.ring.push(outcome)
    } else {
      this.badCount -= this.ring[this.next]!
      this.ring[this.next] = outcome
      this.next = this.next + 1 === this.size ? 0 : this.next + 1
    }
    this.badCount += outcome
  }

  calls(): number {
    return this.ring.length
  }

  bad(): number {
    return this.badCount
  }

  clear(): void {
    this.ring = NONE
    this.next = 0
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
