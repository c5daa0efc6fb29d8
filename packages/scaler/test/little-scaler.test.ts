import { createPool, createVirtualClock } from '@poolkit/core'
import { describe, expect, it } from 'vitest'
import { snapshotOf } from './snapshot.js'
import { littleScaler } from '../src/index.js'

/** An interval in which `rate` tasks/s arrived and tasks finished after `runMs` on average. */
const load = (target: number, rate: number, runMs: number, fields: Parameters<typeof snapshotOf>[0] = {}) =>
  snapshotOf({ targetWorkers: target, arrivalRate: rate, completionRate: rate, meanRunMs: runMs, running: 1, ...fields })

describe('littleScaler: options', () => {
  it('tells the pool min 1, no max (its concurrency), a 1000 ms interval and no pressure asks by default', () => {
    const s = littleScaler()
    expect([s.min, s.max, s.intervalMs, s.onPressure]).toEqual([1, undefined, 1000, undefined])
    expect(littleScaler({ min: 0, max: 3, intervalMs: 500 })).toMatchObject({ min: 0, max: 3, intervalMs: 500 })
  })

  it.each([
    [{ min: -2 }, 'options.min must be a non-negative integer, got -2'],
    [{ max: 2.5 }, 'options.max must be a positive integer, got 2.5'],
    [{ targetUtilization: 0 }, 'options.targetUtilization must be a number above 0 and at most 1, got 0'],
    [{ targetUtilization: 1.01 }, 'options.targetUtilization must be a number above 0 and at most 1, got 1.01'],
    [{ smoothing: 0 }, 'options.smoothing must be a number above 0 and at most 1, got 0'],
    [{ smoothing: null }, 'options.smoothing must be a number above 0 and at most 1, got null'],
    [{ intervalMs: -1 }, 'options.intervalMs must be a positive finite number of milliseconds, got -1'],
  ])('refuses %o with a TypeError naming the option and the value', (options, message) => {
    expect(() => littleScaler(options as never)).toThrow(TypeError)
    expect(() => littleScaler(options as never)).toThrow(message)
  })

  it('refuses min above max with a RangeError', () => {
    expect(() => littleScaler({ min: 4, max: 3 })).toThrow(new RangeError('options.min (4) must not exceed options.max (3)'))
  })
})

describe("littleScaler: Little's law", () => {
  it('asks for ceil(arrivalRate/1000 × meanRunMs / targetUtilization) workers', () => {
    // 200 tasks/s × 50 ms = 10 in service; at 70% busy: 14.3, so 15.
    expect(littleScaler().desired(load(1, 200, 50))).toBe(15)
    expect(littleScaler({ targetUtilization: 1 }).desired(load(1, 200, 50))).toBe(10)
  })

  it('adds the error rate as headroom', () => {
    expect(littleScaler().desired(load(1, 100, 70))).toBe(10)
    expect(littleScaler().desired(load(1, 100, 70, { errorRate: 0.2 }))).toBe(12)
  })

  it('divides by tasksPerWorker', () => {
    expect(littleScaler().desired(load(1, 400, 70, { tasksPerWorker: 4 }))).toBe(10)
  })

  it('does not ask for one more worker when the formula lands on a whole number in floating point', () => {
    // 0.3 × 7 / 0.7 is 3.0000000000000004.
    expect(littleScaler().desired(load(1, 300, 7))).toBe(3)
  })

  it('smooths the arrival rate, run time and error rate with weight `smoothing` on the newest interval', () => {
    const scaler = littleScaler({ smoothing: 0.5, targetUtilization: 1 })
    expect(scaler.desired(load(1, 100, 100))).toBe(10)
    // Arrivals 100 → 150, run time 100 → 150: 0.15 × 150 = 22.5.
    expect(scaler.desired(load(10, 200, 200))).toBe(23)
    const raw = littleScaler({ smoothing: 1, targetUtilization: 1 })
    raw.desired(load(1, 100, 100))
    expect(raw.desired(load(10, 200, 200))).toBe(40)
  })

  it('keeps the run-time estimate when no task finished in the interval', () => {
    const scaler = littleScaler({ targetUtilization: 1, smoothing: 1 })
    scaler.desired(load(1, 100, 100))
    // meanRunMs 0 here means "none finished", not "instant".
    expect(scaler.desired(load(10, 100, 0, { completionRate: 0 }))).toBe(10)
  })

  it('keeps the current count until a task has finished, with one worker at least when tasks wait', () => {
    expect(littleScaler().desired(snapshotOf({ targetWorkers: 4, arrivalRate: 50, running: 4 }))).toBe(4)
    expect(littleScaler({ min: 0 }).desired(snapshotOf({ targetWorkers: 0, arrivalRate: 50, queued: 3 }))).toBe(1)
  })

  it('grows to the formula at once, and clamps it to max', () => {
    expect(littleScaler().desired(load(2, 1000, 100))).toBe(143)
    expect(littleScaler({ max: 16 }).desired(load(2, 1000, 100))).toBe(16)
  })

  it('shrinks at most ceil(target × smoothing) workers an interval, down to the load plus a 20% band', () => {
    const scaler = littleScaler({ targetUtilization: 1 })
    // The formula says 2 each time; with the band, 3: the count comes down 10 → 7 → 4 → 3.
    expect(scaler.desired(load(10, 20, 100))).toBe(7)
    expect(scaler.desired(load(7, 20, 100))).toBe(4)
    expect(scaler.desired(load(4, 20, 100))).toBe(3)
    expect(scaler.desired(load(3, 20, 100))).toBe(3)
  })

  it('does not shrink while the load is within 20% of the workers, so a load near a whole count does not flip it', () => {
    const scaler = littleScaler({ targetUtilization: 1, smoothing: 1 })
    // 8 workers, a load of 7.5, then 6.8: ceil(7.5 × 1.2) = 9 and ceil(6.8 × 1.2) = 9 are not under 8.
    expect(scaler.desired(load(8, 75, 100))).toBe(8)
    expect(scaler.desired(load(8, 68, 100))).toBe(8)
    // 5.5 × 1.2 = 6.6: down to 7.
    expect(scaler.desired(load(8, 55, 100))).toBe(7)
  })

  it('never shrinks while tasks wait', () => {
    const scaler = littleScaler({ targetUtilization: 1 })
    expect(scaler.desired(load(10, 20, 100, { queued: 1 }))).toBe(10)
  })

  it('steps an idle pool down to min gradually when no task arrives', () => {
    const scaler = littleScaler({ min: 0 })
    scaler.desired(load(10, 100, 70))
    const targets: number[] = []
    let target = 10
    for (let i = 0; i < 6; i++) {
      target = scaler.desired(snapshotOf({ now: (i + 2) * 1000, targetWorkers: target }))
      targets.push(target)
    }
    expect(targets).toEqual([7, 4, 2, 1, 0, 0])
  })

  it('stops at min', () => {
    const scaler = littleScaler({ min: 3, smoothing: 1 })
    scaler.desired(load(4, 10, 10))
    expect(scaler.desired(snapshotOf({ targetWorkers: 4 }))).toBe(3)
    expect(scaler.desired(snapshotOf({ targetWorkers: 3 }))).toBe(3)
  })

  it('neither samples nor decides on a zero-length interval', () => {
    const scaler = littleScaler({ smoothing: 0.5, targetUtilization: 1 })
    scaler.desired(load(1, 100, 100))
    expect(scaler.desired(load(10, 10_000, 10_000, { intervalMs: 0 }))).toBe(10)
    expect(scaler.desired(load(10, 100, 100))).toBe(10)
  })

  it('returns an integer within [min, max] for a snapshot full of NaN', () => {
    const nan = snapshotOf({ targetWorkers: NaN, arrivalRate: NaN, completionRate: NaN, meanRunMs: NaN, errorRate: NaN, tasksPerWorker: NaN })
    expect(littleScaler({ min: 2, max: 9 }).desired(nan)).toBe(2)
    expect(littleScaler({ min: 2, max: 20 }).desired(load(4, 100, 70, { errorRate: NaN, tasksPerWorker: 0 }))).toBe(10)
  })
})

describe('littleScaler: with a pool', () => {
  it('sizes the pool to arrivals × run time / target utilization, then steps it down once arrivals stop', async () => {
    const clock = createVirtualClock()
    const handler = (ms: number) => new Promise<number>((resolve) => clock.setTimeout(() => resolve(ms), ms))
    const pool = createPool({ handler, clock, concurrency: 16, scaler: littleScaler({ min: 1, max: 16 }) })
    const results: Promise<number>[] = []
    const targets: number[] = []
    // 50 tasks/s of 100 ms: 5 in service; at 70% busy, ceil(7.14) = 8 workers.
    for (let second = 0; second < 4; second++) {
      for (let i = 0; i < 50; i++) {
        results.push(pool.run(100))
        await clock.advance(20)
      }
      targets.push(pool.stats().targetWorkers)
    }
    // From 16: 16 - ceil(4.8) = 11, then down to the formula's 8 plus the 20% band (ceil(7.14 × 1.2) = 9), where it stays.
    expect(targets).toEqual([11, 9, 9, 9])
    // The last tasks end within their 100 ms, before the next interval ends.
    await clock.advance(100)
    await Promise.all(results)
    for (let second = 0; second < 6; second++) {
      await clock.advance(1000)
      targets.push(pool.stats().targetWorkers)
    }
    // No arrivals: 9 → 6 → 4 → 2 → 1.
    expect(targets.slice(4)).toEqual([6, 4, 2, 1, 1, 1])
    await pool.close()
  })
})
