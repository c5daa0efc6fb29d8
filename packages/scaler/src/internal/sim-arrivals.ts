import type { Arrivals } from '../simulate.js'
import { describe, nonNegative, nonNegativeInteger } from './sim-check.js'

/** The arrival times of a run, in order. */
export interface ArrivalSource {
  /** The time of the next arrival (ms), or `Infinity` when none is left before the end. */
  next(): number
}

/** The rate at `t` (tasks/s) and the time until which it holds. */
interface RatePlan {
  rate(t: number): number
  segmentEnd(t: number): number
}

/** Checks `options.arrivals` and turns it into a rate plan, plus the burst if any. */
function plan(arrivals: Arrivals): { plan: RatePlan; burst: { atMs: number; count: number } | undefined } {
  if (typeof arrivals === 'function') {
    return {
      burst: undefined,
      plan: {
        rate(t) {
          const r = arrivals(t)
          if (typeof r !== 'number' || !Number.isFinite(r) || r < 0) {
            throw new TypeError(`options.arrivals(${t}) must return a non-negative finite number, got ${describe(r)}`)
          }
          return r
        },
        // A rate function is read once per simulated millisecond.
        segmentEnd: (t) => Math.floor(t) + 1,
      },
    }
  }
  if (typeof arrivals !== 'object' || arrivals === null) {
    throw new TypeError(`options.arrivals must be an object or a function, got ${describe(arrivals)}`)
  }
  switch (arrivals.kind) {
    case 'poisson':
    case 'burst': {
      const rate = nonNegative('options.arrivals.perSecond', arrivals.perSecond)
      let burst: { atMs: number; count: number } | undefined
      if (arrivals.kind === 'burst') {
        const b: unknown = arrivals.burst
        if (typeof b !== 'object' || b === null) throw new TypeError(`options.arrivals.burst must be an object, got ${describe(b)}`)
        burst = {
          atMs: nonNegative('options.arrivals.burst.atMs', arrivals.burst.atMs),
          count: nonNegativeInteger('options.arrivals.burst.count', arrivals.burst.count),
        }
      }
      return { burst, plan: { rate: () => rate, segmentEnd: () => Infinity } }
    }
    case 'steps': {
      const steps: unknown = arrivals.steps
      if (!Array.isArray(steps) || steps.length === 0) {
        throw new TypeError(`options.arrivals.steps must be a non-empty array, got ${describe(steps)}`)
      }
      const at: number[] = []
      const rates: number[] = []
      arrivals.steps.forEach((step, i) => {
        if (typeof step !== 'object' || step === null) throw new TypeError(`options.arrivals.steps[${i}] must be an object, got ${describe(step)}`)
        at.push(nonNegative(`options.arrivals.steps[${i}].atMs`, step.atMs))
        rates.push(nonNegative(`options.arrivals.steps[${i}].perSecond`, step.perSecond))
        if (i > 0 && at[i]! <= at[i - 1]!) {
          throw new RangeError(`options.arrivals.steps[${i}].atMs (${at[i]}) must be after steps[${i - 1}].atMs (${at[i - 1]})`)
        }
      })
      // Index of the step in force at t; -1 before the first (no arrivals).
      const index = (t: number): number => {
        let i = at.length - 1
        while (i >= 0 && at[i]! > t) i--
        return i
      }
      return {
        burst: undefined,
        plan: {
          rate: (t) => {
            const i = index(t)
            return i < 0 ? 0 : rates[i]!
          },
          segmentEnd: (t) => at[index(t) + 1] ?? Infinity,
        },
      }
    }
    default:
      throw new TypeError(`options.arrivals.kind must be 'poisson', 'steps' or 'burst', got ${describe((arrivals as { kind?: unknown }).kind)}`)
  }
}

/**
 * Poisson arrivals whose rate may change over time, drawn by time rescaling:
 * an Exp(1) amount of "rate-time" is spent across constant-rate segments, so a
 * step in the rate is exact and a rate function needs no upper bound.
 * Arrivals stop at `horizon`.
 */
export function createArrivals(arrivals: Arrivals, random: () => number, horizon: number): ArrivalSource {
  const { plan: p, burst } = plan(arrivals)
  let t = 0
  const poissonNext = (): number => {
    let need = -Math.log(1 - random())
    while (t < horizon) {
      const perMs = p.rate(t) / 1000
      const end = Math.min(p.segmentEnd(t), horizon)
      if (perMs > 0) {
        const dt = need / perMs
        if (t + dt < end) {
          t += dt
          return t
        }
        need -= perMs * (end - t)
      }
      t = end
    }
    return Infinity
  }
  let upcoming = poissonNext()
  let burstLeft = burst !== undefined && burst.atMs < horizon ? burst.count : 0
  return {
    next() {
      if (burstLeft > 0 && burst!.atMs <= upcoming) {
        burstLeft--
        return burst!.atMs
      }
      const at = upcoming
      if (at !== Infinity) upcoming = poissonNext()
      return at
    },
  }
}
