import { describe } from './internal/validate.js'
import type { LatencyBucket, LatencySummary } from './snapshot.js'

/**
 * How a histogram lays out its buckets. The defaults suit task latencies: 1 µs
 * to 1 hour at 1% (stated: 2^-7 = 0.78%), in 4,098 slots (32 KiB).
 * @public
 */
export interface HistogramOptions {
  /**
   * Smallest value told apart from 0 (ms). Values at or below it share one
   * bucket, reported as the smallest value recorded (the quantile is clamped to
   * `min`), so their error is at most `lowest` in absolute terms.
   * @defaultValue 0.001 (1 µs)
   */
  lowest?: number
  /**
   * Largest value bucketed within the relative error (ms). Larger ones are
   * counted in one overflow bucket above it: they count in `count` and `sum`,
   * `max` stays exact, and a percentile that falls among them reports `max` (an
   * upper bound, like every reported percentile).
   * @defaultValue 3_600_000 (1 hour)
   */
  highest?: number
  /**
   * Largest relative error of a reported percentile, `0 < x <= 0.1`. The layout
   * rounds it down to a power of two (see {@link Histogram.relativeError}).
   * @defaultValue 0.01
   */
  relativeError?: number
}

/**
 * A latency histogram with log-linear (HDR-style) buckets: each power of two is
 * split into 2^k equal sub-buckets, so a bucket is at most 2^-k of its values
 * wide and every percentile it reports is within that relative error. Memory is
 * fixed when it is created; `record` is O(1) and allocates nothing. All values
 * are in milliseconds.
 * @public
 */
export interface Histogram {
  /**
   * Records one value (ms). A negative, NaN or infinite value is ignored (not
   * counted). O(1), no allocation.
   */
  record(value: number): void
  /** Values recorded. */
  readonly count: number
  /** Their exact sum (ms). */
  readonly sum: number
  /** The smallest value recorded, exact; 0 when empty. */
  readonly min: number
  /** The largest value recorded, exact (even above `highest`); 0 when empty. */
  readonly max: number
  /** `sum / count`; 0 when empty. */
  readonly mean: number
  /**
   * The value at quantile `q` (0 to 1): a value `v` such that at least `q` of
   * the recorded values are `<= v`, and at most `relativeError` above the exact
   * one (the upper edge of its bucket, clamped to `[min, max]`). 0 when empty.
   * @throws RangeError when `q` is not a number in [0, 1].
   */
  quantile(q: number): number
  /**
   * Values recorded at or below `value` (cumulative, as Prometheus buckets
   * count). Exact when `value` is a bucket edge, below `min` or at or above
   * `max`; otherwise the exact count at or below the bucket edge just under
   * `value`, which is within `relativeError` of it (never an overcount).
   */
  countAtOrBelow(value: number): number
  /**
   * Adds `other`'s values to this one, as if they had been recorded here.
   * @throws RangeError when `other` was made with other options (naming both).
   */
  merge(other: Histogram): void
  /**
   * Takes `other`'s values back out: `other` must hold a subset of this one's
   * (an earlier `clone()` of it, for the values since then). Counts, `count`
   * and `sum` stay exact; `min` and `max` become the edges of the first and
   * last non-empty buckets, within `relativeError` (and inside the old ones).
   * @throws RangeError when `other` was made with other options, or holds a
   * value this one does not.
   */
  subtract(other: Histogram): void
  /** Forgets every value (for a new window); keeps the layout and memory. */
  reset(): void
  /** An independent copy. */
  clone(): Histogram
  /** `{ count, sum, min, max, mean, p50, p90, p95, p99, p999 }`, in one pass. */
  summary(): LatencySummary
  /**
   * Cumulative counts at the given bounds (ms, ascending; as
   * {@link Histogram.countAtOrBelow}), then `{ le: Infinity, count }`.
   * @throws RangeError when the bounds are not ascending numbers.
   */
  buckets(bounds: readonly number[]): LatencyBucket[]
  /** The stated worst-case relative error of the layout: 2^-k (0.0078125 for the default). */
  readonly relativeError: number
}

/** The layout may not need more slots than this (32 MiB of counts). */
const MAX_SLOTS = 2 ** 22
/** The sub-bucket bits come from the high word of a double, which holds 20 bits of mantissa. */
const MAX_SUB_BITS = 20

// A double's bits are read through one shared scratch slot: a store and two loads,
// no allocation. `HI` is the word with the sign, exponent and top 20 mantissa bits.
const scratch = new Float64Array(1)
const words = new Uint32Array(scratch.buffer)
scratch[0] = 1
const HI = words[1] === 0x3ff00000 ? 1 : 0
const LO = 1 - HI

/** The high word of `x`'s bits minus one in the 64-bit sense: the high word of the double just below `x`. */
function highWordBelow(x: number): number {
  scratch[0] = x
  const lo = words[LO]!
  const hi = words[HI]!
  return lo === 0 ? hi - 1 : hi
}

/** The unbiased binary exponent of a positive normal double. */
function exponentOf(x: number): number {
  scratch[0] = x
  return (words[HI]! >>> 20) - 1023
}

function positiveFinite(path: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${path} must be a finite number above 0, got ${describe(value)}`)
  }
  return value
}

/**
 * Creates a log-linear (HDR-style) histogram of values in milliseconds.
 *
 * Layout: a value `v` in `(lowest, highest]` falls in the bucket `(L, U]` where
 * `L` and `U` are neighbours among `2^e * (1 + j / 2^k)`; `k` is the smallest
 * with `2^-k <= relativeError` (7 for 1%), so `U / L <= 1 + 2^-k`. The bucket is
 * read straight from the bits of the double (exponent and top `k` mantissa
 * bits), so `record` is a handful of integer operations. Buckets are closed
 * above, so a bound such as 5 ms, 10 ms or 25 ms that is a bucket edge counts
 * exactly in {@link Histogram.countAtOrBelow}.
 *
 * Memory: one `Float64Array` of `2 + 2^k * binades` slots (a zero bucket for
 * values up to `lowest`, an overflow bucket above `highest`), where `binades`
 * is the number of powers of two from `lowest` to `highest`: 4,098 slots,
 * 32,784 bytes, for the defaults (32 powers of two from 1 µs to 1 hour).
 * Counts are exact up to 2^53.
 *
 * @throws TypeError when an option is not a finite number above 0;
 *   RangeError when `relativeError` is above 0.1 or below 2^-20, `highest` is
 *   not above `lowest`, or the layout would need more than 4,194,304 slots.
 * @example
 * ```ts
 * import { createHistogram } from '@poolkit/metrics'
 *
 * const wait = createHistogram()
 * wait.record(12.5)
 * wait.quantile(0.99) // 12.5 (clamped to max); within 0.78% in general
 * ```
 * @public
 */
export function createHistogram(options?: HistogramOptions): Histogram {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new TypeError(`options must be an object, got ${describe(options)}`)
  }
  const lowest = positiveFinite('options.lowest', options?.lowest, 0.001)
  const highest = positiveFinite('options.highest', options?.highest, 3_600_000)
  const relativeError = positiveFinite('options.relativeError', options?.relativeError, 0.01)
  if (relativeError > 0.1) throw new RangeError(`options.relativeError must be a number in (0, 0.1], got ${relativeError}`)
  if (relativeError < 2 ** -MAX_SUB_BITS) {
    throw new RangeError(`options.relativeError must be at least 2^-${MAX_SUB_BITS} (${2 ** -MAX_SUB_BITS}), got ${relativeError}`)
  }
  if (highest <= lowest) throw new RangeError(`options.highest (${highest}) must be above options.lowest (${lowest})`)
  const layout = new Layout(lowest, highest, Math.ceil(-Math.log2(relativeError)))
  if (layout.slots > MAX_SLOTS) {
    throw new RangeError(
      `options.lowest ${lowest}, options.highest ${highest} and options.relativeError ${relativeError} need ` +
        `${layout.slots.toLocaleString('en-US')} slots; at most ${MAX_SLOTS.toLocaleString('en-US')} are allowed`,
    )
  }
  return new LogLinearHistogram(layout, new Float64Array(layout.slots))
}

/** The bucket layout, shared by a histogram and its clones. */
class Layout {
  /** Sub-buckets per power of two: 2^bits. */
  readonly sub: number
  /** The exponent of the lowest power of two with buckets. */
  readonly minExponent: number
  /** `(biased exponent << bits) | mantissa bits` of the first bucket after the zero bucket, minus 1. */
  readonly base: number
  /** Right shift from a high word to `(biased exponent << bits) | top mantissa bits`. */
  readonly shift: number
  /** The last slot: values above `highest`. */
  readonly overflow: number
  readonly slots: number

  constructor(
    readonly lowest: number,
    readonly highest: number,
    readonly bits: number,
  ) {
    this.sub = 2 ** bits
    this.shift = 20 - bits
    this.minExponent = exponentOf(lowest)
    const maxExponent = (highWordBelow(highest) >>> 20) - 1023
    this.base = ((this.minExponent + 1023) << bits) - 1
    this.overflow = 1 + (maxExponent - this.minExponent + 1) * this.sub
    this.slots = this.overflow + 1
  }

  /** The bucket of a value in `[0, highest]` (not above). */
  indexOf(value: number): number {
    return value <= this.lowest ? 0 : (highWordBelow(value) >>> this.shift) - this.base
  }

  /** The upper edge of bucket `i` (exact: a small integer times a power of two). */
  upperEdge(i: number): number {
    if (i === 0) return this.lowest
    const j = i - 1
    return 2 ** (this.minExponent + Math.floor(j / this.sub)) * (1 + ((j % this.sub) + 1) / this.sub)
  }

  sameAs(other: Layout): boolean {
    return this.lowest === other.lowest && this.highest === other.highest && this.bits === other.bits
  }

  describe(): string {
    return `{ lowest: ${this.lowest}, highest: ${this.highest}, relativeError: 2^-${this.bits} }`
  }
}

/** Quantiles the summary reports, ascending. */
const SUMMARY_QUANTILES = [0.5, 0.9, 0.95, 0.99, 0.999] as const

/**
 * The rank (1-based) of quantile `q` among `count` values: the smallest `r`
 * with `r >= q * count`, forgiving the rounding of `q * count` (0.07 * 100 is
 * 7.000000000000001).
 */
function rankOf(q: number, count: number): number {
  return Math.max(1, Math.ceil(q * count * (1 - 2 ** -40)))
}

class LogLinearHistogram implements Histogram {
  count = 0
  sum = 0
  /** `Infinity` while empty; the getter reports 0. */
  private low = Infinity
  private high = -Infinity
  private readonly lowest: number
  private readonly highest: number
  private readonly shift: number
  private readonly base: number
  private readonly overflow: number

  constructor(
    private readonly layout: Layout,
    private readonly counts: Float64Array,
  ) {
    // Copies of the layout's fields, so `record` reads them from `this`.
    this.lowest = layout.lowest
    this.highest = layout.highest
    this.shift = layout.shift
    this.base = layout.base
    this.overflow = layout.overflow
  }

  get min(): number {
    return this.count === 0 ? 0 : this.low
  }

  get max(): number {
    return this.count === 0 ? 0 : this.high
  }

  get mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count
  }

  get relativeError(): number {
    return 2 ** -this.layout.bits
  }

  record(value: number): void {
    // Also false for NaN; Infinity would make `sum` useless.
    if (!(value >= 0) || value === Infinity) return
    this.count++
    this.sum += value
    if (value < this.low) this.low = value
    if (value > this.high) this.high = value
    if (value <= this.lowest) {
      this.counts[0]!++
      return
    }
    if (value > this.highest) {
      this.counts[this.overflow]!++
      return
    }
    // Buckets are (L, U]: index the double just below the value, so an edge falls in the bucket it closes.
    scratch[0] = value
    const lo = words[LO]!
    const hi = words[HI]!
    this.counts[((lo === 0 ? hi - 1 : hi) >>> this.shift) - this.base]!++
  }

  quantile(q: number): number {
    if (typeof q !== 'number' || !(q >= 0 && q <= 1)) throw new RangeError(`q must be a number in [0, 1], got ${describe(q)}`)
    if (this.count === 0) return 0
    const rank = rankOf(q, this.count)
    // The first value is min, known exactly.
    if (rank === 1) return this.low
    let seen = 0
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!
      if (seen >= rank) return this.valueOf(i)
    }
    return this.high
  }

  countAtOrBelow(value: number): number {
    if (this.count === 0 || !(value >= this.low)) return 0
    if (value >= this.high) return this.count
    const last = this.lastBucketAtOrBelow(value)
    let total = 0
    for (let i = 0; i <= last; i++) total += this.counts[i]!
    return total
  }

  merge(other: Histogram): void {
    if (!(other instanceof LogLinearHistogram)) {
      throw new TypeError(`merge() takes a histogram from createHistogram(), got ${describe(other)}`)
    }
    if (!this.layout.sameAs(other.layout)) {
      throw new RangeError(`cannot merge a histogram of ${other.layout.describe()} into one of ${this.layout.describe()}: the options must be the same`)
    }
    const from = other.counts
    const into = this.counts
    for (let i = 0; i < into.length; i++) into[i]! += from[i]!
    this.count += other.count
    this.sum += other.sum
    if (other.low < this.low) this.low = other.low
    if (other.high > this.high) this.high = other.high
  }

  subtract(other: Histogram): void {
    if (!(other instanceof LogLinearHistogram)) {
      throw new TypeError(`subtract() takes a histogram from createHistogram(), got ${describe(other)}`)
    }
    if (!this.layout.sameAs(other.layout)) {
      throw new RangeError(`cannot subtract a histogram of ${other.layout.describe()} from one of ${this.layout.describe()}: the options must be the same`)
    }
    const from = other.counts
    const into = this.counts
    for (let i = 0; i < into.length; i++) {
      if (from[i]! > into[i]!) throw new RangeError(`subtract(): the other histogram holds values this one does not (bucket ${i})`)
    }
    let first = -1
    let last = -1
    for (let i = 0; i < into.length; i++) {
      const left = into[i]! - from[i]!
      into[i] = left
      if (left > 0) {
        if (first < 0) first = i
        last = i
      }
    }
    this.count -= other.count
    this.sum = this.count === 0 ? 0 : this.sum - other.sum
    if (first < 0) {
      this.low = Infinity
      this.high = -Infinity
      return
    }
    // Bucket i holds (upperEdge(i - 1), upperEdge(i)]; the overflow bucket is above `highest`.
    const lowEdge = first === 0 ? 0 : this.layout.upperEdge(first - 1)
    const highEdge = last === this.overflow ? this.high : this.layout.upperEdge(last)
    this.low = Math.max(this.low, lowEdge)
    this.high = Math.min(this.high, highEdge)
  }

  reset(): void {
    this.counts.fill(0)
    this.count = 0
    this.sum = 0
    this.low = Infinity
    this.high = -Infinity
  }

  clone(): Histogram {
    const copy = new LogLinearHistogram(this.layout, this.counts.slice())
    copy.count = this.count
    copy.sum = this.sum
    copy.low = this.low
    copy.high = this.high
    return copy
  }

  summary(): LatencySummary {
    const p = [0, 0, 0, 0, 0]
    if (this.count > 0) {
      let next = 0
      let rank = rankOf(SUMMARY_QUANTILES[0], this.count)
      let seen = 0
      for (let i = 0; i < this.counts.length && next < p.length; i++) {
        seen += this.counts[i]!
        while (next < p.length && seen >= rank) {
          p[next++] = rank === 1 ? this.low : this.valueOf(i)
          if (next < p.length) rank = rankOf(SUMMARY_QUANTILES[next]!, this.count)
        }
      }
    }
    return { count: this.count, sum: this.sum, min: this.min, max: this.max, mean: this.mean, p50: p[0]!, p90: p[1]!, p95: p[2]!, p99: p[3]!, p999: p[4]! }
  }

  buckets(bounds: readonly number[]): LatencyBucket[] {
    const out: LatencyBucket[] = []
    let previous = -Infinity
    // One pass: the bounds ascend, so the buckets they close do too.
    let next = 0
    let total = 0
    for (let b = 0; b < bounds.length; b++) {
      const le = bounds[b]
      if (typeof le !== 'number' || Number.isNaN(le) || le <= previous) {
        throw new RangeError(`bounds must be ascending numbers; bounds[${b}] is ${describe(le)} after ${previous}`)
      }
      previous = le
      if (this.count === 0 || !(le >= this.low)) {
        out.push({ le, count: 0 })
      } else if (le >= this.high) {
        out.push({ le, count: this.count })
      } else {
        const last = this.lastBucketAtOrBelow(le)
        while (next <= last) total += this.counts[next++]!
        out.push({ le, count: total })
      }
    }
    out.push({ le: Infinity, count: this.count })
    return out
  }

  /** The last bucket whose values are all at or below `value` (-1 for none): the one holding it only when `value` is its upper edge. */
  private lastBucketAtOrBelow(value: number): number {
    // Values above `highest` are in the overflow slot at their exact size unknown: never counted below `max`.
    if (value >= this.highest) return this.overflow - 1
    const i = this.layout.indexOf(value)
    return value < this.layout.upperEdge(i) ? i - 1 : i
  }

  /** What bucket `i` reports: its upper edge (`max` for the overflow), clamped to the exact `[min, max]`. */
  private valueOf(i: number): number {
    if (i === this.overflow) return this.high
    const edge = i === 0 ? 0 : this.layout.upperEdge(i)
    return edge < this.low ? this.low : edge > this.high ? this.high : edge
  }
}
