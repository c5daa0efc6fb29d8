// Whether a series levels off: the growth its trend line predicts over the
// samples given must stay under a limit.

/** What {@link judge} found. */
export interface Verdict {
  /** Whether the growth stays under the limit. */
  readonly ok: boolean
  /** The trend line's rise from the first sample to the last (units of the series). */
  readonly growth: number
  /** The most growth allowed: max(relative × mean, absolute). */
  readonly limit: number
  /** The trend line's slope per million x (per million tasks). */
  readonly slopePerMillion: number
  readonly mean: number
  readonly first: number
  readonly last: number
}

/**
 * Fits a line to `ys` over `xs` (least squares; with `robust`, Theil-Sen, the
 * median of the slopes between every pair, which one outlier cannot tilt) and
 * judges its rise across the samples against `max(relative × mean, absolute)`.
 * A series that falls passes.
 */
export function judge(xs: readonly number[], ys: readonly number[], limits: { relative: number; absolute: number; robust?: boolean }): Verdict {
  const n = ys.length
  const mean = ys.reduce((a, b) => a + b, 0) / Math.max(1, n)
  const slope = n < 2 ? 0 : limits.robust ? theilSen(xs, ys) : leastSquares(xs, ys, mean)
  const span = n < 2 ? 0 : xs[n - 1]! - xs[0]!
  const growth = slope * span
  const limit = Math.max(limits.relative * mean, limits.absolute)
  return { ok: growth <= limit, growth, limit, slopePerMillion: slope * 1e6, mean, first: ys[0] ?? 0, last: ys[n - 1] ?? 0 }
}

function leastSquares(xs: readonly number[], ys: readonly number[], meanY: number): number {
  const meanX = xs.reduce((a, b) => a + b, 0) / xs.length
  let num = 0
  let den = 0
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i]! - meanX) * (ys[i]! - meanY)
    den += (xs[i]! - meanX) ** 2
  }
  return den === 0 ? 0 : num / den
}

function theilSen(xs: readonly number[], ys: readonly number[]): number {
  const slopes: number[] = []
  for (let i = 0; i < xs.length; i++) for (let j = i + 1; j < xs.length; j++) if (xs[j] !== xs[i]) slopes.push((ys[j]! - ys[i]!) / (xs[j]! - xs[i]!))
  if (slopes.length === 0) return 0
  slopes.sort((a, b) => a - b)
  const mid = slopes.length >> 1
  return slopes.length % 2 === 1 ? slopes[mid]! : (slopes[mid - 1]! + slopes[mid]!) / 2
}
