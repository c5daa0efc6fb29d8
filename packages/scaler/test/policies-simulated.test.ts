/**
 * The policies on the simulator: a real core pool on a virtual clock, against
 * Poisson load. Each run is deterministic (seed 1), so a bound that holds holds
 * every time; the bounds leave room for other seeds too.
 */
import { describe, expect, it } from 'vitest'
import type { Scaler } from '@poolkit/core'
import { adaptiveLimit } from '../src/adaptive-limit.js'
import { idleScaler } from '../src/index.js'
import { littleScaler } from '../src/little-scaler.js'
import { simulate } from '../src/simulate.js'
import type { Arrivals, ServiceModel, SimulationSample } from '../src/simulate.js'
import { thresholdScaler } from '../src/threshold-scaler.js'

/** 100 tasks/s, 1,000 from 10 s, 100 again from 40 s. */
const STEP_UP_MS = 10_000
const STEP_DOWN_MS = 40_000
const stepLoad: Arrivals = {
  kind: 'steps',
  steps: [
    { atMs: 0, perSecond: 100 },
    { atMs: STEP_UP_MS, perSecond: 1000 },
    { atMs: STEP_DOWN_MS, perSecond: 100 },
  ],
}
/** 10 ms on average: 1,000 tasks/s keep 10 workers busy, 100 tasks/s one. */
const service: ServiceModel = { baseMs: 10, jitter: 0.2 }

/** When the first sample at or after `fromMs` that satisfies `ok` was taken; Infinity if none. */
function firstAt(samples: readonly SimulationSample[], fromMs: number, ok: (s: SimulationSample) => boolean): number {
  return samples.find((s) => s.atMs >= fromMs && ok(s))?.atMs ?? Infinity
}

const between = (samples: readonly SimulationSample[], fromMs: number, toMs: number): SimulationSample[] => samples.filter((s) => s.atMs > fromMs && s.atMs <= toMs)

/** How many times a series turns from rising to falling or back (flat stretches ignored). */
function directionChanges(values: readonly number[]): number {
  let last = 0
  let changes = 0
  for (let i = 1; i < values.length; i++) {
    const d = Math.sign(values[i]! - values[i - 1]!)
    if (d === 0) continue
    if (last !== 0 && d !== last) changes++
    last = d
  }
  return changes
}

describe('thresholdScaler on the simulator', () => {
  it('follows a step from 100 to 1,000 tasks/s within 4 cooldowns, and comes back down within 10 after the load drops', async () => {
    const cooldownMs = 2000
    const report = await simulate({
      scaler: thresholdScaler({ min: 1, max: 64, cooldownMs, downStep: 4 }),
      arrivals: stepLoad,
      service,
      durationMs: 70_000,
    })
    const { samples } = report
    // 10 busy workers under scaleUpAt 0.8 need 13 at least.
    expect(firstAt(samples, STEP_UP_MS, (s) => s.workers >= 13) - STEP_UP_MS).toBeLessThanOrEqual(4 * cooldownMs)
    // The backlog of the climb is gone well before the load drops.
    for (const s of between(samples, 25_000, STEP_DOWN_MS)) expect(s).toMatchObject({ queued: 0, waitP95: 0 })
    // 100 tasks/s keep one worker busy: under scaleDownAt 0.3 the pool stops shrinking at 3 at most.
    expect(firstAt(samples, STEP_DOWN_MS, (s) => s.workers <= 4) - STEP_DOWN_MS).toBeLessThanOrEqual(10 * cooldownMs)
    expect(Math.max(...between(samples, 60_000, 70_000).map((s) => s.workers))).toBeLessThanOrEqual(4)
    // Never two changes within a cooldown.
    expect(report.scalingChanges).toBeLessThanOrEqual(70_000 / cooldownMs)
  })
})

describe('littleScaler on the simulator', () => {
  it("sizes the pool by Little's law after a step to 1,000 tasks/s and gives the workers back after the drop", async () => {
    const { samples } = await simulate({ scaler: littleScaler({ min: 1, max: 64 }), arrivals: stepLoad, service, durationMs: 70_000 })
    // More workers than the 10 the load keeps busy within 5 intervals of the step...
    expect(firstAt(samples, STEP_UP_MS, (s) => s.workers > 10) - STEP_UP_MS).toBeLessThanOrEqual(5000)
    // ...and, once the averages catch up, the formula: ceil(1,000/s × 10 ms / 0.7) = 15.
    for (const s of between(samples, 25_000, STEP_DOWN_MS)) {
      expect(s.workers).toBeGreaterThanOrEqual(14)
      expect(s.workers).toBeLessThanOrEqual(16)
      expect(s.queued).toBeLessThan(10)
    }
    // 100 tasks/s need ceil(0.1 × 10 / 0.7) = 2.
    expect(firstAt(samples, STEP_DOWN_MS, (s) => s.workers <= 3) - STEP_DOWN_MS).toBeLessThanOrEqual(10_000)
  })
})

describe('idleScaler on the simulator', () => {
  it('grows on pressure at once, keeps the workers through idleTimeout, then retires them after the load drops', async () => {
    const idleTimeout = 5000
    const { samples } = await simulate({ scaler: idleScaler({ min: 1, max: 64, idleTimeout }), arrivals: stepLoad, service, durationMs: 70_000 })
    // Growth needs no tick: the first second of the new load already has more than 10 workers, and no queue builds.
    expect(firstAt(samples, STEP_UP_MS + 1000, (s) => s.workers > 10)).toBe(STEP_UP_MS + 1000)
    for (const s of between(samples, STEP_UP_MS, STEP_DOWN_MS)) expect(s.waitP95).toBeLessThan(50)
    // Workers idle for less than idleTimeout stay.
    const peak = Math.max(...between(samples, STEP_UP_MS, STEP_DOWN_MS).map((s) => s.workers))
    expect(samples.find((s) => s.atMs === STEP_DOWN_MS + idleTimeout - 1000)!.workers).toBeGreaterThanOrEqual(peak - 5)
    // Then they go, down to what 100 tasks/s use.
    expect(firstAt(samples, STEP_DOWN_MS, (s) => s.workers <= 5) - STEP_DOWN_MS).toBeLessThanOrEqual(3 * idleTimeout)
  })
})

describe('adaptiveLimit on the simulator', () => {
  const KNEE = 40

  /** Runs a limit against a provider over its hidden knee (more work than it takes) and returns the limit over time. */
  async function limitOverTime(limit: ReturnType<typeof adaptiveLimit>, provider: ServiceModel): Promise<{ at: number; limit: number }[]> {
    const seen: { at: number; limit: number }[] = []
    const recorded: Scaler = {
      min: limit.min,
      max: limit.max,
      intervalMs: limit.intervalMs,
      desired(snapshot) {
        const wanted = limit.desired(snapshot)
        seen.push({ at: snapshot.now, limit: limit.limit })
        return wanted
      },
    }
    // 5,000 tasks/s against a provider that serves 4,000/s at most: always a backlog.
    await simulate({ scaler: recorded, arrivals: { kind: 'poisson', perSecond: 5000 }, service: provider, durationMs: 30_000 })
    return seen
  }

  const settled = (seen: readonly { at: number; limit: number }[]): number[] => seen.slice(Math.floor(seen.length * 0.7)).map((s) => s.limit)

  it.each([{ algorithm: 'gradient' as const }, { algorithm: 'aimd' as const }])(
    'settles within 0.8 to 1.2 times a hidden knee of 40 it was not told, from the 429s past it ($algorithm)',
    async ({ algorithm }) => {
      const seen = await limitOverTime(adaptiveLimit({ max: 200, algorithm }), { baseMs: 10, knee: KNEE, jitter: 0.1, errorRate: 0.05 })
      const last = settled(seen)
      expect(Math.min(...last)).toBeGreaterThanOrEqual(0.8 * KNEE)
      expect(Math.max(...last)).toBeLessThanOrEqual(1.2 * KNEE)
    },
    30_000,
  )

  it('settles within 0.8 to 1.2 times a hidden knee of 40 it was not told, from the latency rise past it alone (vegas, the default)', async () => {
    // No 429s: past 40 at once the provider only gets slower (throughput flat at 4,000/s).
    const seen = await limitOverTime(adaptiveLimit({ max: 200 }), { baseMs: 10, knee: KNEE, jitter: 0.1 })
    const last = settled(seen)
    expect(Math.min(...last)).toBeGreaterThanOrEqual(0.8 * KNEE)
    expect(Math.max(...last)).toBeLessThanOrEqual(1.2 * KNEE)
  }, 30_000)
})

describe('no policy oscillates on a steady load', () => {
  const policies: [string, () => Scaler][] = [
    ['thresholdScaler', () => thresholdScaler({ min: 1, max: 64 })],
    ['littleScaler', () => littleScaler({ min: 1, max: 64 })],
    ['adaptiveLimit (vegas)', () => adaptiveLimit({ min: 1, max: 64 })],
    ['adaptiveLimit (gradient)', () => adaptiveLimit({ min: 1, max: 64, algorithm: 'gradient' })],
    ['adaptiveLimit (aimd)', () => adaptiveLimit({ min: 1, max: 64, algorithm: 'aimd' })],
  ]

  it.each(policies)(
    '%s changes direction at most twice after a 30 s warm-up at a steady 200, 500 and 800 tasks/s',
    async (_name, make) => {
      const changes: Record<number, number> = {}
      for (const perSecond of [200, 500, 800]) {
        const { samples } = await simulate({ scaler: make(), arrivals: { kind: 'poisson', perSecond }, service, durationMs: 90_000 })
        changes[perSecond] = directionChanges(samples.filter((s) => s.atMs > 30_000).map((s) => s.workers))
      }
      expect(changes).toEqual({ 200: expect.toBeOneOf([0, 1, 2]), 500: expect.toBeOneOf([0, 1, 2]), 800: expect.toBeOneOf([0, 1, 2]) })
    },
    30_000,
  )
})

describe('idleScaler on a steady load', () => {
  it('keeps the worker count within 0.8 to 1.25 times its median after a 30 s warm-up at a steady 200, 500 and 800 tasks/s', async () => {
    // An idle timeout keeps the workers the peaks of the last idleTimeout used;
    // under Poisson arrivals those peaks move by a worker or two, so the count
    // moves too. Not oscillating, for this policy, means staying in a band.
    for (const perSecond of [200, 500, 800]) {
      const { samples } = await simulate({ scaler: idleScaler({ min: 1, max: 64, idleTimeout: 10_000 }), arrivals: { kind: 'poisson', perSecond }, service, durationMs: 90_000 })
      const counts = samples.filter((s) => s.atMs > 30_000).map((s) => s.workers)
      const median = [...counts].sort((a, b) => a - b)[counts.length >> 1]!
      expect(Math.min(...counts)).toBeGreaterThanOrEqual(0.8 * median)
      expect(Math.max(...counts)).toBeLessThanOrEqual(1.25 * median)
    }
  }, 30_000)
})
