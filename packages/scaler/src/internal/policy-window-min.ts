/**
 * The smallest value over the last `window` ms of a step function sampled now
 * and then: each sample holds from its time until the next sample. A monotonic
 * deque keeps only the samples that can still be the minimum (each larger than
 * the one before it), so its length is bounded by the distinct values in the
 * window, not by the number of samples.
 */
export class WindowMin {
  private entries: { value: number; end: number }[] = []
  private head = 0
  /** When sampling started: a full window must pass before `full` is true. */
  private since: number | undefined = undefined

  constructor(private readonly window: number) {}

  /** Adds the value seen at `now`. */
  add(now: number, value: number): void {
    this.since ??= now
    const entries = this.entries
    // The previous sample held until now.
    if (entries.length > this.head) entries[entries.length - 1]!.end = now
    while (entries.length > this.head && entries[entries.length - 1]!.value >= value) entries.pop()
    entries.push({ value, end: Infinity })
    // Drop samples that stopped holding before the window began (never the newest: it holds until the next).
    while (entries[this.head]!.end <= now - this.window) this.head++
    if (this.head > 32 && this.head * 2 > entries.length) {
      this.entries = entries.slice(this.head)
      this.head = 0
    }
  }

  /** Whether samples cover a whole window up to `now`. */
  full(now: number): boolean {
    return this.since !== undefined && now - this.since >= this.window
  }

  /** The minimum over the window (0 with no sample). */
  get min(): number {
    return this.entries.length > this.head ? this.entries[this.head]!.value : 0
  }

  /** Takes `n` off every sample (workers retired), never below 0; the order of the deque holds. */
  subtract(n: number): void {
    for (let i = this.head; i < this.entries.length; i++) this.entries[i]!.value = Math.max(0, this.entries[i]!.value - n)
  }
}
