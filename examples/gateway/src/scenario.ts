// The scenario both gateways run: three fake providers, two tenants, one deadline per request.
// Everything random is drawn from one seed (mulberry32), so a run is the same workload every time.

/** The three fake providers (see providers.ts). */
export const PROVIDERS = ['steady', 'paced', 'flaky'] as const
export type ProviderName = (typeof PROVIDERS)[number]

/** The two tenants: `noisy` sends ten times `quiet`'s rate. */
export const TENANTS = ['noisy', 'quiet'] as const
export type Tenant = (typeof TENANTS)[number]

/** What one run is: the load, the providers' behaviour, the gateways' limits. */
export interface Scenario {
  readonly seed: number
  /** Arrivals are drawn over this window (ms from the start). */
  readonly durationMs: number
  /** Requests per second of each tenant (Poisson arrivals). */
  readonly rates: Readonly<Record<Tenant, number>>
  /** Each request must be answered within this many ms of its arrival. */
  readonly deadlineMs: number
  /** One call to a provider may take this long before the gateway gives up on it (and may retry). */
  readonly attemptTimeoutMs: number
  /** steady: at most `capacity` calls in flight (503 past it), each taking `serviceMs`. */
  readonly steady: { readonly capacity: number; readonly serviceMs: readonly [number, number] }
  /** paced: a token bucket of `perSecond` and `burst`; 429 with `Retry-After` (whole seconds) when empty. */
  readonly paced: { readonly perSecond: number; readonly burst: number; readonly serviceMs: readonly [number, number] }
  /** flaky: healthy, then 500s from `failAt`, then hangs (never answers) from `hangAt`, healthy again from `recoverAt` (ms from the start). */
  readonly flaky: { readonly failAt: number; readonly hangAt: number; readonly recoverAt: number; readonly serviceMs: readonly [number, number] }
}

/**
 * The scenario: 15 s of arrivals (`short`: 4 s, for CI), noisy at 120/s and
 * quiet at 12/s, a 2 s deadline and a 1 s attempt timeout. The flaky provider
 * fails for 3 s and hangs for 3 s (short: 0.8 s and 1 s).
 */
export function scenario(seed = 1, short = false): Scenario {
  return {
    seed,
    durationMs: short ? 4_000 : 15_000,
    rates: { noisy: 120, quiet: 12 },
    deadlineMs: 2_000,
    attemptTimeoutMs: 1_000,
    steady: { capacity: 8, serviceMs: [60, 240] },
    paced: { perSecond: 20, burst: 5, serviceMs: [20, 60] },
    flaky: short ? { failAt: 1_000, hangAt: 1_800, recoverAt: 2_800, serviceMs: [20, 60] } : { failAt: 4_000, hangAt: 7_000, recoverAt: 10_000, serviceMs: [20, 60] },
  }
}

/** A seeded generator of floats in [0, 1) (mulberry32): the same seed, the same sequence. */
export function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
