import type { PoolSnapshot, Scaler } from '@poolkit/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { adaptiveLimit, idleScaler, littleScaler, thresholdScaler } from '../src/index.js'

/** A number a pool would send, or now and then one it never should. */
const odd = fc.constantFrom(NaN, Infinity, -Infinity, -1)
const amount = (max: number) => fc.oneof({ weight: 12, arbitrary: fc.double({ min: 0, max, noNaN: true }) }, { weight: 1, arbitrary: odd })
const count = (max: number) => fc.oneof({ weight: 12, arbitrary: fc.nat(max) }, { weight: 1, arbitrary: odd })

/** One interval of a pool, minus the time (the sequence adds it). */
const interval = fc.record({
  // Round steps too, so sequences land exactly on a cooldown's end.
  dt: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 5000 }) }, { weight: 4, arbitrary: fc.constantFrom(250, 500, 1000) }, { weight: 1, arbitrary: fc.constant(0) }),
  target: count(64),
  busy: count(64),
  idle: count(64),
  starting: count(4),
  tasksPerWorker: fc.oneof({ weight: 6, arbitrary: fc.constant(1) }, { weight: 2, arbitrary: fc.integer({ min: 2, max: 8 }) }, { weight: 1, arbitrary: odd }),
  queued: count(500),
  running: count(200),
  arrivalRate: amount(10_000),
  completionRate: amount(10_000),
  errorRate: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 6, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) }, { weight: 1, arbitrary: odd }),
  meanWaitMs: amount(60_000),
  meanRunMs: amount(60_000),
  utilization: fc.oneof({ weight: 12, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) }, { weight: 1, arbitrary: odd }),
})
type Interval = typeof interval extends fc.Arbitrary<infer T> ? T : never

/** Snapshots with increasing `now`; `target` overrides the generated count (a pool feeding back its target). */
function toSnapshot(i: Interval, now: number, target = i.target): PoolSnapshot {
  return {
    now,
    intervalMs: i.dt,
    workers: { total: i.busy + i.idle + i.starting, busy: i.busy, idle: i.idle, starting: i.starting },
    targetWorkers: target,
    tasksPerWorker: i.tasksPerWorker,
    queued: i.queued,
    running: i.running,
    arrivalRate: i.arrivalRate,
    completionRate: i.completionRate,
    errorRate: i.errorRate,
    meanWaitMs: i.meanWaitMs,
    meanRunMs: i.meanRunMs,
    utilization: i.utilization,
    eventLoopUtilization: undefined,
  }
}
const snapshots = (list: Interval[]): PoolSnapshot[] => {
  let now = 0
  return list.map((i) => toSnapshot(i, (now += i.dt)))
}

const bounds = fc.tuple(fc.nat(8), fc.integer({ min: 1, max: 64 })).map(([min, span]) => ({ min, max: min + span }))

/** Each policy with random valid options, and how to build a fresh copy of it. */
const policies = fc.oneof(
  fc
    .record({
      b: bounds,
      scaleUpAt: fc.double({ min: 0.5, max: 1, noNaN: true }),
      scaleDownAt: fc.double({ min: 0, max: 0.49, noNaN: true }),
      upFactor: fc.double({ min: 1.01, max: 4, noNaN: true }),
      downStep: fc.integer({ min: 1, max: 5 }),
      cooldownMs: fc.nat(20_000),
      maxWaitMs: fc.oneof(fc.constant(Infinity), fc.nat(10_000)),
    })
    .map(({ b, ...o }) => ({ name: 'threshold', make: () => thresholdScaler({ ...b, ...o }), ...b })),
  fc
    .record({ b: bounds, targetUtilization: fc.double({ min: 0.05, max: 1, noNaN: true }), smoothing: fc.double({ min: 0.01, max: 1, noNaN: true }) })
    .map(({ b, ...o }) => ({ name: 'little', make: () => littleScaler({ ...b, ...o }), ...b })),
  fc
    .record({
      b: bounds,
      algorithm: fc.constantFrom('gradient' as const, 'aimd' as const),
      tolerance: fc.double({ min: 1, max: 4, noNaN: true }),
      backoff: fc.double({ min: 0.1, max: 0.99, noNaN: true }),
      smoothing: fc.double({ min: 0.01, max: 1, noNaN: true }),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
    })
    .map(({ b, at, ...o }) => {
      const min = Math.max(1, b.min)
      const initial = min + Math.floor(at * (b.max - min))
      return { name: 'adaptive', make: () => adaptiveLimit({ min, max: b.max, initial, ...o }), min, max: b.max }
    }),
  fc.record({ b: bounds, idleTimeout: fc.oneof(fc.constant(Infinity), fc.nat(60_000)) }).map(({ b, idleTimeout }) => ({ name: 'idle', make: () => idleScaler({ ...b, idleTimeout }), ...b })),
)

const run = (scaler: Scaler, list: PoolSnapshot[]) => list.map((s) => scaler.desired(s))

describe('every policy, on random snapshot sequences', () => {
  it('returns an integer within [min, max], never NaN', () => {
    fc.assert(
      fc.property(policies, fc.array(interval, { maxLength: 60 }), (policy, list) => {
        for (const out of run(policy.make(), snapshots(list))) {
          expect(Number.isInteger(out)).toBe(true)
          expect(out).toBeGreaterThanOrEqual(policy.min)
          expect(out).toBeLessThanOrEqual(policy.max)
        }
      }),
      { numRuns: 400 },
    )
  })

  it('answers the same sequence with the same answers (a fresh copy, same options)', () => {
    fc.assert(
      fc.property(policies, fc.array(interval, { maxLength: 60 }), (policy, list) => {
        const s = snapshots(list)
        expect(run(policy.make(), s)).toEqual(run(policy.make(), s))
      }),
      { numRuns: 300 },
    )
  })

  it('stays within [min, max] when the pool feeds its target back, as a real pool does', () => {
    fc.assert(
      fc.property(policies, fc.array(interval, { maxLength: 80 }), (policy, list) => {
        const scaler = policy.make()
        let target = policy.min
        let now = 0
        for (const i of list) {
          target = scaler.desired(toSnapshot(i, (now += i.dt), target))
          expect(Number.isInteger(target) && target >= policy.min && target <= policy.max).toBe(true)
          if (policy.name === 'adaptive') expect((scaler as Scaler & { limit: number }).limit).toBe(target)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('with no max given, returns a non-negative integer of at least min (the pool clamps to its concurrency)', () => {
    const makers = [(min: number) => thresholdScaler({ min }), (min: number) => littleScaler({ min }), (min: number) => idleScaler({ min })]
    fc.assert(
      fc.property(fc.constantFrom(...makers), fc.nat(4), fc.array(interval, { maxLength: 40 }), (make, min, list) => {
        for (const out of run(make(min), snapshots(list))) {
          expect(Number.isSafeInteger(out)).toBe(true)
          expect(out).toBeGreaterThanOrEqual(min)
        }
      }),
    )
  })
})

describe('thresholdScaler, on random snapshot sequences', () => {
  const options = fc.record({
    b: bounds,
    cooldownMs: fc.oneof(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom(1000, 2500, 5000)),
    upFactor: fc.double({ min: 1.01, max: 4, noNaN: true }),
    downStep: fc.integer({ min: 1, max: 5 }),
  })

  it('never changes the count twice within cooldownMs, the pool feeding its target back', () => {
    fc.assert(
      fc.property(options, fc.array(interval, { maxLength: 80 }), ({ b, ...o }, list) => {
        const scaler = thresholdScaler({ ...b, ...o })
        let target = b.min
        let now = 0
        let changedAt = -Infinity
        for (const i of list) {
          now += i.dt
          const next = scaler.desired(toSnapshot(i, now, target))
          if (next !== target) {
            expect(now - changedAt).toBeGreaterThanOrEqual(o.cooldownMs)
            changedAt = now
          }
          target = next
        }
      }),
      { numRuns: 400 },
    )
  })

  it('never answers other than the current target within cooldownMs of a change, whatever targets the snapshots carry', () => {
    fc.assert(
      fc.property(options, fc.array(fc.tuple(interval, fc.nat(64)), { maxLength: 80 }), ({ b, ...o }, list) => {
        const scaler = thresholdScaler({ ...b, ...o })
        let now = 0
        let changedAt = -Infinity
        for (const [i, t] of list) {
          now += i.dt
          const target = b.min + (t % (b.max - b.min + 1))
          const next = scaler.desired(toSnapshot(i, now, target))
          if (next !== target) {
            expect(now - changedAt).toBeGreaterThanOrEqual(o.cooldownMs)
            changedAt = now
          }
        }
      }),
      { numRuns: 400 },
    )
  })

  it('never scales down while tasks wait', () => {
    fc.assert(
      fc.property(options, fc.array(interval, { minLength: 1, maxLength: 40 }), ({ b, ...o }, list) => {
        const scaler = thresholdScaler({ ...b, ...o })
        let now = 0
        for (const i of list) {
          now += i.dt
          const target = Math.max(b.min, Math.min(b.max, Number.isFinite(i.target) && i.target >= 0 ? i.target : b.min))
          const next = scaler.desired(toSnapshot({ ...i, queued: Math.max(1, Number.isFinite(i.queued) ? i.queued : 1) }, now, target))
          expect(next).toBeGreaterThanOrEqual(target)
        }
      }),
    )
  })
})
