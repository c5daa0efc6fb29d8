import { createPool, createVirtualClock } from '@poolkit/core'
import { describe, expect, it } from 'vitest'
import { snapshotOf } from './snapshot.js'
import { thresholdScaler } from '../src/index.js'

/** A snapshot of a pool at `target` workers over a 1 s interval ending at `now`. */
const at = (now: number, target: number, fields: Parameters<typeof snapshotOf>[0] = {}) => snapshotOf({ now, targetWorkers: target, ...fields })

describe('thresholdScaler: options', () => {
  it('tells the pool min 1, no max (the pool uses its concurrency), a 1000 ms interval and no pressure asks by default', () => {
    const s = thresholdScaler()
    expect(s.min).toBe(1)
    expect(s.max).toBeUndefined()
    expect(s.intervalMs).toBe(1000)
    expect(s.onPressure).toBeUndefined()
  })

  it('passes min, max and intervalMs through to the pool', () => {
    expect(thresholdScaler({ min: 0, max: 9, intervalMs: 250 })).toMatchObject({ min: 0, max: 9, intervalMs: 250 })
  })

  it.each([
    [{ min: -1 }, 'options.min must be a non-negative integer, got -1'],
    [{ min: 1.5 }, 'options.min must be a non-negative integer, got 1.5'],
    [{ max: 0 }, 'options.max must be a positive integer, got 0'],
    [{ max: Infinity }, 'options.max must be a positive integer, got Infinity'],
    [{ scaleUpAt: 0 }, 'options.scaleUpAt must be a number above 0 and at most 1, got 0'],
    [{ scaleUpAt: 1.2 }, 'options.scaleUpAt must be a number above 0 and at most 1, got 1.2'],
    [{ scaleDownAt: 1 }, 'options.scaleDownAt must be a number from 0 up to (not including) 1, got 1'],
    [{ scaleDownAt: NaN }, 'options.scaleDownAt must be a number from 0 up to (not including) 1, got NaN'],
    [{ upFactor: 1 }, 'options.upFactor must be a finite number above 1, got 1'],
    [{ upFactor: '2' }, 'options.upFactor must be a finite number above 1, got "2"'],
    [{ downStep: 0 }, 'options.downStep must be a positive integer, got 0'],
    [{ cooldownMs: -5 }, 'options.cooldownMs must be a non-negative finite number of milliseconds, got -5'],
    [{ maxWaitMs: -1 }, 'options.maxWaitMs must be a non-negative number of milliseconds or Infinity, got -1'],
    [{ intervalMs: 0 }, 'options.intervalMs must be a positive finite number of milliseconds, got 0'],
  ])('refuses %o with a TypeError naming the option and the value', (options, message) => {
    expect(() => thresholdScaler(options as never)).toThrow(TypeError)
    expect(() => thresholdScaler(options as never)).toThrow(message)
  })

  it('refuses options that are not an object', () => {
    expect(() => thresholdScaler(5 as never)).toThrow('options must be an object, got 5')
  })

  it('refuses conflicting values with a RangeError naming both', () => {
    expect(() => thresholdScaler({ min: 5, max: 2 })).toThrow(new RangeError('options.min (5) must not exceed options.max (2)'))
    expect(() => thresholdScaler({ scaleUpAt: 0.5, scaleDownAt: 0.5 })).toThrow(new RangeError('options.scaleDownAt (0.5) must be below options.scaleUpAt (0.5)'))
    expect(() => thresholdScaler({ scaleDownAt: 0.9 })).toThrow(RangeError)
  })
})

describe('thresholdScaler: decisions', () => {
  it('multiplies the count by upFactor when utilization is over scaleUpAt, and holds at exactly scaleUpAt', () => {
    expect(thresholdScaler().desired(at(1000, 4, { utilization: 0.81 }))).toBe(8)
    expect(thresholdScaler().desired(at(1000, 4, { utilization: 0.8 }))).toBe(4)
    expect(thresholdScaler({ scaleUpAt: 0.5 }).desired(at(1000, 4, { utilization: 0.6 }))).toBe(8)
  })

  it('rounds a fractional growth up and always adds at least one worker', () => {
    expect(thresholdScaler({ upFactor: 1.5 }).desired(at(1000, 3, { utilization: 1 }))).toBe(5)
    expect(thresholdScaler({ upFactor: 1.1 }).desired(at(1000, 1, { utilization: 1 }))).toBe(2)
    // 10 × 1.1 is 11.000000000000002 in floating point: still 11, not 12.
    expect(thresholdScaler({ upFactor: 1.1 }).desired(at(1000, 10, { utilization: 1 }))).toBe(11)
  })

  it('scales up when the mean queue wait exceeds maxWaitMs even at low utilization, and ignores waits by default', () => {
    const busyEnough = { utilization: 0.5, meanWaitMs: 250, queued: 3 }
    expect(thresholdScaler({ maxWaitMs: 200 }).desired(at(1000, 2, busyEnough))).toBe(4)
    expect(thresholdScaler({ maxWaitMs: 250 }).desired(at(1000, 2, busyEnough))).toBe(2)
    expect(thresholdScaler().desired(at(1000, 2, { ...busyEnough, meanWaitMs: 1e9 }))).toBe(2)
  })

  it('removes downStep workers when utilization is under scaleDownAt and nothing waits', () => {
    expect(thresholdScaler().desired(at(1000, 6, { utilization: 0.29 }))).toBe(5)
    expect(thresholdScaler({ downStep: 3 }).desired(at(1000, 6, { utilization: 0.1 }))).toBe(3)
    expect(thresholdScaler().desired(at(1000, 6, { utilization: 0.3 }))).toBe(6)
    expect(thresholdScaler({ scaleDownAt: 0 }).desired(at(1000, 6, { utilization: 0 }))).toBe(6)
  })

  it('never scales down while tasks wait, whatever the utilization', () => {
    expect(thresholdScaler().desired(at(1000, 6, { utilization: 0, queued: 1 }))).toBe(6)
  })

  it('holds between the thresholds', () => {
    expect(thresholdScaler().desired(at(1000, 6, { utilization: 0.5 }))).toBe(6)
  })

  it('clamps growth to max and shrinking to min', () => {
    expect(thresholdScaler({ max: 5 }).desired(at(1000, 4, { utilization: 1 }))).toBe(5)
    expect(thresholdScaler({ min: 3, downStep: 5 }).desired(at(1000, 4, { utilization: 0 }))).toBe(3)
  })

  it('never changes twice within cooldownMs, and a change is allowed again once it has passed', () => {
    const scaler = thresholdScaler({ cooldownMs: 5000 })
    expect(scaler.desired(at(1000, 2, { utilization: 1 }))).toBe(4)
    expect(scaler.desired(at(2000, 4, { utilization: 1 }))).toBe(4)
    expect(scaler.desired(at(5999, 4, { utilization: 0 }))).toBe(4)
    expect(scaler.desired(at(6000, 4, { utilization: 0 }))).toBe(3)
    expect(scaler.desired(at(7000, 3, { utilization: 0 }))).toBe(3)
  })

  it('starts no cooldown when it holds, and none with cooldownMs 0', () => {
    const holding = thresholdScaler()
    expect(holding.desired(at(1000, 4, { utilization: 0.5 }))).toBe(4)
    expect(holding.desired(at(2000, 4, { utilization: 1 }))).toBe(8)
    const eager = thresholdScaler({ cooldownMs: 0 })
    expect([eager.desired(at(1000, 4, { utilization: 1 })), eager.desired(at(2000, 8, { utilization: 0 }))]).toEqual([8, 7])
  })

  it('decides nothing on a zero-length interval', () => {
    expect(thresholdScaler().desired(at(0, 4, { intervalMs: 0, utilization: 1 }))).toBe(4)
    expect(thresholdScaler().desired(at(0, 4, { intervalMs: 0, utilization: 0 }))).toBe(4)
  })

  it('brings a pool at 0 workers to one when a task waits, and leaves an empty idle pool at 0', () => {
    expect(thresholdScaler({ min: 0 }).desired(at(1000, 0, { queued: 2 }))).toBe(1)
    expect(thresholdScaler({ min: 0 }).desired(at(1000, 0))).toBe(0)
    expect(thresholdScaler({ min: 0, max: 4 }).desired(at(1000, 1, { utilization: 0 }))).toBe(0)
  })

  it('returns an integer within [min, max] for a snapshot full of NaN', () => {
    const nan = at(NaN, NaN, { utilization: NaN, meanWaitMs: NaN, queued: NaN, intervalMs: NaN })
    const out = thresholdScaler({ min: 2, max: 6 }).desired(nan)
    expect(Number.isInteger(out)).toBe(true)
    expect(out).toBe(2)
  })
})

describe('thresholdScaler: with a pool', () => {
  it('moves the pool target down while idle, one step per cooldown, then doubles it under load up to max', async () => {
    const clock = createVirtualClock()
    const handler = (ms: number) => new Promise<number>((resolve) => clock.setTimeout(() => resolve(ms), ms))
    const scaler = thresholdScaler({ min: 1, max: 8, cooldownMs: 2000 })
    const pool = createPool({ handler, clock, concurrency: 8, scaler })
    const targets: number[] = [pool.stats().targetWorkers]
    for (let i = 0; i < 6; i++) {
      await clock.advance(1000)
      targets.push(pool.stats().targetWorkers)
    }
    // Idle: 7 at 1 s, held through the 2 s cooldown, 6 at 3 s, 5 at 5 s.
    expect(targets).toEqual([8, 7, 7, 6, 6, 5, 5])
    const results = Array.from({ length: 20 }, () => pool.run(10_000))
    await clock.advance(1000)
    // 5 workers all busy over the interval: doubled, but max is 8.
    expect(pool.stats().targetWorkers).toBe(8)
    expect(pool.stats().running).toBe(8)
    await clock.advance(1000)
    expect(pool.stats().targetWorkers).toBe(8)
    await pool.destroy()
    await Promise.allSettled(results)
  })
})
