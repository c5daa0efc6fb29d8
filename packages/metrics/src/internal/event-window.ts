/** Slot width (ms): the resolution of every window. */
const SLOT_MS = 100
/** Slots kept: 60 s of history. */
const SLOTS = 600

/**
 * Counts of events, and a sum of an amount carried with them (run time, say),
 * over sliding windows up to 60 s, in 100 ms slots, by the time each event
 * happened: the caller gives it, so recording reads no clock. `add` is O(1)
 * with no allocation; reading a window sums its slots.
 */
export class EventWindow {
  private readonly counts = new Float64Array(SLOTS)
  private readonly amounts = new Float64Array(SLOTS)
  /** The slot number (time / SLOT_MS) of the newest slot written. */
  private head: number
  /** Where that slot starts (ms) and its index in the ring. */
  private headStart: number
  private headIndex: number
  /** When counting began (ms): a window reaching before it is cut to it. */
  private since: number

  constructor(now: number) {
    this.head = Math.floor(now / SLOT_MS)
    this.headStart = this.head * SLOT_MS
    this.headIndex = this.head % SLOTS
    this.since = now
  }

  /** Adds `count` events carrying `amount` at time `at` (ms). Events older than 60 s, or from before a reset, are dropped. */
  add(count: number, amount: number, at: number): void {
    let i: number
    if (at >= this.headStart && at < this.headStart + SLOT_MS && at >= this.since) {
      // The common case, an event in the newest slot: no division.
      i = this.headIndex
    } else {
      const slot = Math.floor(at / SLOT_MS)
      if (slot > this.head) this.advance(slot)
      else if (slot <= this.head - SLOTS || at < this.since) return
      i = slot % SLOTS
    }
    this.counts[i] = this.counts[i]! + count
    this.amounts[i] = this.amounts[i]! + amount
  }

  /** The events in the last `windowMs` (at most 60 s) before `now`, the current slot included. */
  total(windowMs: number, now: number): number {
    const nowSlot = Math.floor(now / SLOT_MS)
    if (nowSlot > this.head) this.advance(nowSlot)
    const count = Math.min(SLOTS, Math.max(1, Math.round(windowMs / SLOT_MS)))
    let sum = 0
    for (let i = 0; i < count; i++) {
      const slot = this.head - i
      if (slot < 0) break
      sum += this.counts[slot % SLOTS]!
    }
    return sum
  }

  /**
   * Events per second over the last `windowMs` of complete slots before `now`
   * (the current 100 ms slot counts once it is over, so a burst at a slot edge
   * does not swing a 1 s rate by a tenth). A window reaching back before
   * counting began is divided by the time since then, so a new pool does not
   * report a tenth of its rate over its first 10 s.
   */
  rate(windowMs: number, now: number): number {
    return this.perSecond(this.counts, windowMs, now)
  }

  /** The amount per second, over the same slots as {@link EventWindow.rate}. */
  amountRate(windowMs: number, now: number): number {
    return this.perSecond(this.amounts, windowMs, now)
  }

  reset(now: number): void {
    this.counts.fill(0)
    this.amounts.fill(0)
    this.head = Math.floor(now / SLOT_MS)
    this.headStart = this.head * SLOT_MS
    this.headIndex = this.head % SLOTS
    this.since = now
  }

  private perSecond(values: Float64Array, windowMs: number, now: number): number {
    const nowSlot = Math.floor(now / SLOT_MS)
    if (nowSlot > this.head) this.advance(nowSlot)
    const count = Math.min(SLOTS - 1, Math.max(1, Math.round(windowMs / SLOT_MS)))
    const span = Math.min(count * SLOT_MS, nowSlot * SLOT_MS - this.since)
    if (span <= 0) return 0
    let sum = 0
    for (let i = 1; i <= count; i++) {
      const slot = nowSlot - i
      if (slot < 0 || slot > this.head || slot <= this.head - SLOTS) continue
      sum += values[slot % SLOTS]!
    }
    return (sum * 1000) / span
  }

  /** Moves the head to `slot`, zeroing the slots skipped over. */
  private advance(slot: number): void {
    const steps = Math.min(slot - this.head, SLOTS)
    for (let i = 1; i <= steps; i++) {
      const j = (this.head + i) % SLOTS
      this.counts[j] = 0
      this.amounts[j] = 0
    }
    this.head = slot
    this.headStart = slot * SLOT_MS
    this.headIndex = slot % SLOTS
  }
}
