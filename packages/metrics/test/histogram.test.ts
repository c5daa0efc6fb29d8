import { describe, expect, it } from 'vitest'
import { seededRandom } from '@poolkit/core/testing'
import { createHistogram } from '../src/histogram.js'
import type { Histogram } from '../src/histogram.js'

/** `n` values spread evenly on a log scale over [from, to] (ms). */
function logUniform(seed: number, n: number, from: number, to: number): number[] {
  const random = seededRandom(seed)
  const a = Math.log(from)
  const b = Math.log(to)
  return Array.from({ length: n }, () => Math.exp(a + (b - a) * random()))
}

/** The exact quantile as the histogram defines it: the smallest value with at least `q` of the values at or below it. */
function exactQuantile(sorted: readonly number[], q: number): number {
  const rank = Math.max(1, Math.ceil(q * sorted.length * (1 - 2 ** -40)))
  return sorted[rank - 1]!
}

const exactCountAtOrBelow = (values: readonly number[], x: number): number => values.filter((v) => v <= x).length

const QUANTILES = [0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1]

function filled(values: readonly number[], h: Histogram = createHistogram()): Histogram {
  for (const v of values) h.record(v)
  return h
}

/** Every quantile at or above the exact one and at most `relativeError` above it. */
function expectWithinError(h: Histogram, values: readonly number[]): void {
  const sorted = [...values].sort((a, b) => a - b)
  for (const q of QUANTILES) {
    const exact = exactQuantile(sorted, q)
    const got = h.quantile(q)
    expect(got, `q=${q}`).toBeGreaterThanOrEqual(exact)
    expect(got, `q=${q}`).toBeLessThanOrEqual(exact * (1 + h.relativeError))
  }
}

describe('createHistogram: quantiles', () => {
  it('reports every quantile within the stated relative error of the exact one, on log-uniform data from 1 µs to 10 minutes', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const values = logUniform(seed, 20_000, 0.0011, 600_000)
      expectWithinError(filled(values), values)
    }
  })

  it('keeps the error bound in every magnitude: clusters around 5 µs, 3 ms, 40 s and 10 minutes', () => {
    for (const [i, centre] of [0.005, 3, 40_000, 600_000].entries()) {
      const values = logUniform(10 + i, 5_000, centre * 0.8, centre * 1.25)
      expectWithinError(filled(values), values)
    }
  })

  it('keeps the bound it states for other relative errors (0.1 and 0.001)', () => {
    for (const relativeError of [0.1, 0.001]) {
      const values = logUniform(7, 10_000, 0.01, 100_000)
      const h = filled(values, createHistogram({ relativeError }))
      expect(h.relativeError).toBeLessThanOrEqual(relativeError)
      expectWithinError(h, values)
    }
  })

  it('states 2^-k, the largest power of two at or under the requested error', () => {
    expect(createHistogram().relativeError).toBe(2 ** -7)
    expect(createHistogram({ relativeError: 0.1 }).relativeError).toBe(2 ** -4)
    expect(createHistogram({ relativeError: 0.05 }).relativeError).toBe(2 ** -5)
    expect(createHistogram({ relativeError: 2 ** -10 }).relativeError).toBe(2 ** -10)
  })

  it('gives quantile(0) = min and quantile(1) = max exactly', () => {
    const values = logUniform(3, 1_000, 0.01, 10_000)
    const h = filled(values)
    expect(h.quantile(0)).toBe(Math.min(...values))
    expect(h.quantile(1)).toBe(Math.max(...values))
  })

  it('reports a single value exactly at every quantile (clamped to [min, max])', () => {
    const h = createHistogram()
    h.record(12.345)
    for (const q of QUANTILES) expect(h.quantile(q)).toBe(12.345)
  })

  it('reports values at or below `lowest` as the smallest recorded: zeros give 0', () => {
    const h = createHistogram()
    for (let i = 0; i < 90; i++) h.record(0)
    for (let i = 0; i < 10; i++) h.record(50)
    expect(h.quantile(0.5)).toBe(0)
    expect(h.quantile(0.9)).toBe(0)
    expect(h.quantile(0.95)).toBe(50)
  })

  it('summary() gives the same percentiles as quantile() and the exact count, sum, min, max and mean', () => {
    const values = logUniform(11, 5_000, 0.002, 60_000)
    const h = filled(values)
    const s = h.summary()
    expect(s).toEqual({
      count: h.count,
      sum: h.sum,
      min: h.min,
      max: h.max,
      mean: h.sum / h.count,
      p50: h.quantile(0.5),
      p90: h.quantile(0.9),
      p95: h.quantile(0.95),
      p99: h.quantile(0.99),
      p999: h.quantile(0.999),
    })
  })

  it('throws a RangeError for a quantile outside [0, 1]', () => {
    const h = filled([1, 2, 3])
    expect(() => h.quantile(1.5)).toThrow(new RangeError('q must be a number in [0, 1], got 1.5'))
    expect(() => h.quantile(Number.NaN)).toThrow(RangeError)
    expect(() => h.quantile(-0.1)).toThrow(RangeError)
  })
})

describe('createHistogram: exact statistics', () => {
  it('keeps count, sum, min and max exact and mean = sum / count', () => {
    const values = logUniform(21, 10_000, 0.0011, 3_000_000)
    const h = filled(values)
    let sum = 0
    for (const v of values) sum += v
    expect(h.count).toBe(values.length)
    expect(h.sum).toBe(sum)
    expect(h.min).toBe(Math.min(...values))
    expect(h.max).toBe(Math.max(...values))
    expect(h.mean).toBe(sum / values.length)
  })

  it('reports 0 for everything when empty', () => {
    const h = createHistogram()
    expect([h.count, h.sum, h.min, h.max, h.mean, h.quantile(0.5), h.countAtOrBelow(10)]).toEqual([0, 0, 0, 0, 0, 0, 0])
    expect(h.summary()).toEqual({ count: 0, sum: 0, min: 0, max: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 })
    expect(h.buckets([1, 10])).toEqual([
      { le: 1, count: 0 },
      { le: 10, count: 0 },
      { le: Infinity, count: 0 },
    ])
  })

  it('ignores negative, NaN and infinite values', () => {
    const h = createHistogram()
    for (const v of [-1, -0.5, Number.NaN, Infinity, -Infinity]) h.record(v)
    expect(h.count).toBe(0)
    h.record(3)
    expect([h.count, h.sum, h.min, h.max]).toEqual([1, 3, 3, 3])
  })
})

describe('createHistogram: above `highest`', () => {
  it('counts values above `highest` with their exact max and sum, and reports max for a percentile among them', () => {
    const h = createHistogram({ highest: 1_000 })
    for (const v of [500, 2_000, 5_000]) h.record(v)
    expect([h.count, h.sum, h.min, h.max]).toEqual([3, 7_500, 500, 5_000])
    expect(h.quantile(1 / 3)).toBe(500)
    expect(h.quantile(0.5)).toBe(5_000)
    expect(h.quantile(1)).toBe(5_000)
  })

  it('counts values above `highest` in no bound below max (never an overcount)', () => {
    const h = createHistogram({ highest: 1_000 })
    for (const v of [500, 1_000, 2_000, 5_000]) h.record(v)
    expect(h.countAtOrBelow(1_000)).toBe(2)
    expect(h.countAtOrBelow(3_000)).toBe(2)
    expect(h.countAtOrBelow(5_000)).toBe(4)
  })
})

describe('createHistogram: cumulative counts', () => {
  // With the default layout these are bucket edges (2^e * (1 + j/128)).
  const EDGES = [5, 10, 25, 50, 100, 250, 500, 1_000]

  it('counts exactly at bucket edges, values equal to the edge included', () => {
    const values: number[] = []
    for (const edge of EDGES) values.push(edge, edge * (1 - 1e-9), edge * (1 + 1e-9), edge * 1.003, edge * 0.997)
    const h = filled(values)
    for (const edge of EDGES) expect(h.countAtOrBelow(edge), `le=${edge}`).toBe(exactCountAtOrBelow(values, edge))
  })

  it('counts elsewhere never more than the exact count and at least the exact count at x / (1 + relativeError)', () => {
    const values = logUniform(31, 20_000, 0.0011, 600_000)
    const h = filled(values)
    const probes = logUniform(32, 200, 0.001, 700_000)
    for (const x of probes) {
      const got = h.countAtOrBelow(x)
      expect(got).toBeLessThanOrEqual(exactCountAtOrBelow(values, x))
      expect(got).toBeGreaterThanOrEqual(exactCountAtOrBelow(values, x / (1 + h.relativeError)))
    }
  })

  it('gives 0 below min and the total at or above max', () => {
    const h = filled([2, 3, 4])
    expect(h.countAtOrBelow(1.999)).toBe(0)
    expect(h.countAtOrBelow(4)).toBe(3)
    expect(h.countAtOrBelow(1e9)).toBe(3)
  })

  it('buckets() are cumulative, match countAtOrBelow and end with { le: Infinity, count }', () => {
    const values = logUniform(41, 10_000, 0.0011, 20_000)
    const h = filled(values)
    const bounds = [5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000]
    const buckets = h.buckets(bounds)
    expect(buckets.map((b) => b.le)).toEqual([...bounds, Infinity])
    expect(buckets.at(-1)).toEqual({ le: Infinity, count: values.length })
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.count).toBeGreaterThanOrEqual(buckets[i - 1]!.count)
    for (const [i, le] of bounds.entries()) expect(buckets[i]!.count).toBe(h.countAtOrBelow(le))
  })

  it('buckets() throws a RangeError for bounds that do not ascend', () => {
    const h = filled([1])
    expect(() => h.buckets([10, 5])).toThrow(new RangeError('bounds must be ascending numbers; bounds[1] is 5 after 10'))
    expect(() => h.buckets([1, Number.NaN])).toThrow(RangeError)
  })
})

describe('createHistogram: merge, reset, clone', () => {
  it('merging equals recording both sets into one histogram', () => {
    const a = logUniform(51, 5_000, 0.0011, 1_000)
    const b = logUniform(52, 5_000, 0.5, 600_000)
    const merged = filled(a)
    merged.merge(filled(b))
    const both = filled([...a, ...b])
    // The sums are added in another order, so they may differ in the last bits.
    expect(merged.summary()).toEqual({ ...both.summary(), sum: merged.sum, mean: merged.mean })
    expect(merged.sum).toBeCloseTo(both.sum, 6)
    expect(merged.mean).toBeCloseTo(both.mean, 9)
    for (const q of QUANTILES) expect(merged.quantile(q)).toBe(both.quantile(q))
    const bounds = [0.01, 1, 10, 100, 1_000, 100_000]
    expect(merged.buckets(bounds)).toEqual(both.buckets(bounds))
  })

  it('merging an empty histogram changes nothing, and merging into an empty one copies', () => {
    const values = logUniform(53, 1_000, 1, 100)
    const h = filled(values)
    const before = h.summary()
    h.merge(createHistogram())
    expect(h.summary()).toEqual(before)
    const empty = createHistogram()
    empty.merge(h)
    expect(empty.summary()).toEqual(before)
  })

  it('refuses to merge a histogram made with other options, with a RangeError naming both', () => {
    const h = createHistogram()
    expect(() => h.merge(createHistogram({ highest: 1_000 }))).toThrow(
      new RangeError(
        'cannot merge a histogram of { lowest: 0.001, highest: 1000, relativeError: 2^-7 } into one of ' + '{ lowest: 0.001, highest: 3600000, relativeError: 2^-7 }: the options must be the same',
      ),
    )
    expect(() => h.merge(createHistogram({ relativeError: 0.001 }))).toThrow(RangeError)
    expect(() => h.merge(createHistogram({ lowest: 0.01 }))).toThrow(RangeError)
  })

  it('refuses to merge something that is not from createHistogram(), with a TypeError', () => {
    const fake = { ...createHistogram() } as Histogram
    expect(() => createHistogram().merge(fake)).toThrow(TypeError)
  })

  it('reset() forgets every value and records afresh', () => {
    const h = filled(logUniform(61, 1_000, 1, 1_000))
    h.reset()
    expect(h.summary()).toEqual({ count: 0, sum: 0, min: 0, max: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 })
    expect(h.countAtOrBelow(1e9)).toBe(0)
    h.record(7)
    expect([h.count, h.min, h.max, h.quantile(0.5)]).toEqual([1, 7, 7, 7])
  })

  it('clone() copies everything and the two then change independently', () => {
    const original = filled(logUniform(71, 1_000, 1, 1_000))
    const before = original.summary()
    const copy = original.clone()
    expect(copy.summary()).toEqual(before)
    expect(copy.relativeError).toBe(original.relativeError)
    copy.record(5_000)
    expect(original.summary()).toEqual(before)
    original.reset()
    expect(copy.count).toBe(before.count + 1)
    expect(copy.max).toBe(5_000)
    // A clone has the same layout, so it merges back.
    original.merge(copy)
    expect(original.count).toBe(before.count + 1)
  })
})

describe('createHistogram: subtract', () => {
  it('takes an earlier clone back out: counts, count and sum exact, quantiles those of the later values', () => {
    const early = logUniform(21, 5_000, 0.01, 1_000)
    const late = logUniform(22, 5_000, 0.01, 1_000)
    const h = filled(early)
    const mark = h.clone()
    filled(late, h)
    h.subtract(mark)
    const alone = filled(late)
    expect(h.count).toBe(alone.count)
    expect(h.sum).toBeCloseTo(alone.sum, 6)
    for (const q of QUANTILES.slice(1, -1)) expect(h.quantile(q)).toBe(alone.quantile(q))
    for (const x of [0.1, 1, 10, 100]) expect(h.countAtOrBelow(x)).toBe(alone.countAtOrBelow(x))
  })

  it('makes min and max the edges of the first and last non-empty buckets, within the relative error', () => {
    const h = filled([1, 50, 100])
    const mark = filled([1])
    h.subtract(mark)
    expect(h.count).toBe(2)
    expect(h.min).toBeLessThanOrEqual(50)
    expect(h.min).toBeGreaterThanOrEqual(50 * (1 - h.relativeError))
    expect(h.max).toBe(100)
  })

  it('empties to zeros when everything is taken out', () => {
    const h = filled([3, 4])
    h.subtract(h.clone())
    expect([h.count, h.sum, h.min, h.max, h.quantile(0.5)]).toEqual([0, 0, 0, 0, 0])
  })

  it('refuses a histogram holding values this one does not, or of another layout', () => {
    expect(() => filled([1]).subtract(filled([1, 2]))).toThrow(RangeError)
    expect(() => filled([1]).subtract(createHistogram({ relativeError: 0.05 }))).toThrow(/options must be the same/)
    expect(() => filled([1]).subtract({} as Histogram)).toThrow(TypeError)
  })
})

describe('createHistogram: memory', () => {
  const slotsOf = (h: Histogram): number => (h as unknown as { counts: Float64Array }).counts.length

  it('holds 4,098 slots (32,784 bytes) with the defaults: 32 powers of two of 128 sub-buckets, plus a zero and an overflow bucket', () => {
    const h = createHistogram()
    expect(slotsOf(h)).toBe(32 * 128 + 2)
    expect(slotsOf(h) * Float64Array.BYTES_PER_ELEMENT).toBe(32_784)
  })

  it('keeps its memory whatever it records', () => {
    const h = createHistogram()
    const values = logUniform(81, 100_000, 0.0001, 1e9)
    filled(values, h)
    expect(slotsOf(h)).toBe(4_098)
    h.reset()
    expect(slotsOf(h)).toBe(4_098)
  })

  it('sizes the layout from the options: 1 ms to 1 s at 10% needs 10 powers of two of 16', () => {
    expect(slotsOf(createHistogram({ lowest: 1, highest: 1_000, relativeError: 0.1 }))).toBe(10 * 16 + 2)
  })
})

describe('createHistogram: options', () => {
  it('names the option and the value in each error', () => {
    expect(() => createHistogram({ relativeError: 0.5 })).toThrow(new RangeError('options.relativeError must be a number in (0, 0.1], got 0.5'))
    expect(() => createHistogram({ relativeError: 0 })).toThrow(new TypeError('options.relativeError must be a finite number above 0, got 0'))
    expect(() => createHistogram({ relativeError: '0.01' as unknown as number })).toThrow(new TypeError('options.relativeError must be a finite number above 0, got "0.01"'))
    expect(() => createHistogram({ lowest: -1 })).toThrow(new TypeError('options.lowest must be a finite number above 0, got -1'))
    expect(() => createHistogram({ highest: Infinity })).toThrow(new TypeError('options.highest must be a finite number above 0, got Infinity'))
    expect(() => createHistogram({ lowest: 10, highest: 5 })).toThrow(new RangeError('options.highest (5) must be above options.lowest (10)'))
    expect(() => createHistogram(null as unknown as undefined)).toThrow(new TypeError('options must be an object, got null'))
  })

  it('refuses a relative error below 2^-20 and a layout over 4,194,304 slots, with a RangeError', () => {
    expect(() => createHistogram({ relativeError: 1e-9 })).toThrow(new RangeError('options.relativeError must be at least 2^-20 (9.5367431640625e-7), got 1e-9'))
    expect(() => createHistogram({ relativeError: 2 ** -20 })).toThrow(/need 33,554,434 slots; at most 4,194,304 are allowed/)
    expect(createHistogram({ relativeError: 2 ** -20, lowest: 1, highest: 2 }).relativeError).toBe(2 ** -20)
  })
})
