import { createPool, createVirtualClock } from '@poolkit/core'
import { describe, expect, it } from 'vitest'
import { snapshotOf } from './snapshot.js'
import { idleScaler } from '../src/index.js'

/** A pool of `target` ready workers, `idle` of them idle, at `now`. */
const idleAt = (now: number, target: number, idle: number) => snapshotOf({ now, targetWorkers: target, workers: { total: target, busy: target - idle, idle }, running: target - idle })

describe('idleScaler: options', () => {
  it('tells the pool min 1, no max (its concurrency), to ask on pressure, and every idleTimeout / 2 within [10, 1000] ms', () => {
    const s = idleScaler()
    expect([s.min, s.max, s.onPressure, s.intervalMs]).toEqual([1, undefined, true, 1000])
    expect(idleScaler({ idleTimeout: 100 }).intervalMs).toBe(50)
    expect(idleScaler({ idleTimeout: 0 }).intervalMs).toBe(10)
    expect(idleScaler({ min: 0, max: 7 })).toMatchObject({ min: 0, max: 7 })
  })

  it('sets no timer when idleTimeout is Infinity (intervalMs 0: asked on pressure only)', () => {
    expect(idleScaler({ idleTimeout: Infinity }).intervalMs).toBe(0)
  })

  it.each([
    [{ min: -1 }, 'options.min must be a non-negative integer, got -1'],
    [{ max: 0 }, 'options.max must be a positive integer, got 0'],
    [{ idleTimeout: -1 }, 'options.idleTimeout must be a non-negative number of milliseconds or Infinity, got -1'],
    [{ idleTimeout: '30s' }, 'options.idleTimeout must be a non-negative number of milliseconds or Infinity, got "30s"'],
  ])('refuses %o with a TypeError naming the option and the value', (options, message) => {
    expect(() => idleScaler(options as never)).toThrow(TypeError)
    expect(() => idleScaler(options as never)).toThrow(message)
  })

  it('refuses min above max with a RangeError, and options that are not an object', () => {
    expect(() => idleScaler({ min: 3, max: 2 })).toThrow(new RangeError('options.min (3) must not exceed options.max (2)'))
    expect(() => idleScaler([] as never)).toThrow('options must be an object, got an array')
  })
})

describe('idleScaler: growing', () => {
  it('adds one worker per waiting task', () => {
    const s = idleScaler()
    expect(s.desired(snapshotOf({ targetWorkers: 2, queued: 1, running: 2, workers: { busy: 2 } }))).toBe(3)
    expect(s.desired(snapshotOf({ targetWorkers: 2, queued: 3, running: 2, workers: { busy: 2 } }))).toBe(5)
  })

  it('adds one worker per tasksPerWorker waiting tasks', () => {
    expect(idleScaler().desired(snapshotOf({ targetWorkers: 2, tasksPerWorker: 2, queued: 3, workers: { busy: 2 } }))).toBe(4)
  })

  it('counts workers already starting (or asked for) as taking the queue, so repeated asks do not overshoot', () => {
    const s = idleScaler()
    // One task waits and one worker is on its way: nothing more.
    expect(s.desired(snapshotOf({ targetWorkers: 3, queued: 1, workers: { total: 3, busy: 2, starting: 1 } }))).toBe(3)
    expect(s.desired(snapshotOf({ targetWorkers: 3, queued: 2, workers: { total: 3, busy: 2, starting: 1 } }))).toBe(4)
    // Asked for but not spawned yet (target above total).
    expect(s.desired(snapshotOf({ targetWorkers: 4, queued: 1, workers: { total: 3, busy: 3 } }))).toBe(4)
  })

  it('stops at max, and starts a pool at 0 workers with one', () => {
    expect(idleScaler({ max: 4 }).desired(snapshotOf({ targetWorkers: 3, queued: 5, workers: { busy: 3 } }))).toBe(4)
    expect(idleScaler({ min: 0 }).desired(snapshotOf({ targetWorkers: 0, queued: 1, workers: { total: 0 } }))).toBe(1)
  })
})

describe('idleScaler: retiring', () => {
  it('keeps idle workers until they have been idle for idleTimeout, then retires them down to min', () => {
    const s = idleScaler({ idleTimeout: 30_000 })
    expect(s.desired(idleAt(0, 4, 3))).toBe(4)
    expect(s.desired(idleAt(29_999, 4, 3))).toBe(4)
    expect(s.desired(idleAt(30_000, 4, 3))).toBe(1)
    expect(idleScaler({ min: 2, idleTimeout: 10 }).desired(idleAt(0, 4, 4))).toBe(4)
  })

  it('retires only as many workers as stayed idle through the whole timeout', () => {
    const s = idleScaler({ idleTimeout: 30_000 })
    s.desired(idleAt(0, 4, 3))
    s.desired(idleAt(10_000, 4, 1)) // two of them took tasks for a while
    s.desired(idleAt(20_000, 4, 3))
    expect(s.desired(idleAt(30_000, 4, 3))).toBe(3)
    // The other two have been idle since 20 s: they go at 50 s, not before.
    expect(s.desired(idleAt(40_000, 3, 2))).toBe(3)
    expect(s.desired(idleAt(49_000, 3, 2))).toBe(3)
    expect(s.desired(idleAt(50_000, 3, 2))).toBe(1)
  })

  it('restarts the idle clock when tasks wait', () => {
    const s = idleScaler({ idleTimeout: 1000 })
    s.desired(idleAt(0, 2, 1))
    expect(s.desired(snapshotOf({ now: 500, targetWorkers: 2, queued: 1, running: 2, workers: { busy: 2 } }))).toBe(3)
    expect(s.desired(idleAt(1000, 3, 2))).toBe(3)
    expect(s.desired(idleAt(1500, 3, 2))).toBe(3)
    expect(s.desired(idleAt(2000, 3, 2))).toBe(1)
  })

  it('retires idle workers at once with idleTimeout 0, and never with idleTimeout Infinity', () => {
    expect(idleScaler({ idleTimeout: 0 }).desired(idleAt(0, 5, 3))).toBe(2)
    const never = idleScaler({ idleTimeout: Infinity })
    expect([never.desired(idleAt(0, 5, 5)), never.desired(idleAt(1e12, 5, 5))]).toEqual([5, 5])
  })

  it('retires down to 0 with min 0', () => {
    const s = idleScaler({ min: 0, idleTimeout: 100 })
    s.desired(idleAt(0, 2, 2))
    expect(s.desired(idleAt(100, 2, 2))).toBe(0)
  })

  it('returns an integer within [min, max] for a snapshot full of NaN', () => {
    const nan = snapshotOf({ now: NaN, targetWorkers: NaN, queued: NaN, tasksPerWorker: NaN, workers: { total: NaN, idle: NaN, busy: NaN, starting: NaN } })
    expect(idleScaler({ min: 1, max: 3 }).desired(nan)).toBe(1)
  })
})

describe('idleScaler: with a pool', () => {
  it('retires the workers idle for idleTimeout, adds one per waiting task up to max, and retires them again', async () => {
    const clock = createVirtualClock()
    const handler = (ms: number) => new Promise<number>((resolve) => clock.setTimeout(() => resolve(ms), ms))
    const pool = createPool({ handler, clock, concurrency: 4, scaler: idleScaler({ max: 4, idleTimeout: 10_000 }) })
    expect(pool.stats().targetWorkers).toBe(4)
    await clock.advance(9_999)
    expect(pool.stats().targetWorkers).toBe(4)
    await clock.advance(1_001)
    expect(pool.stats().targetWorkers).toBe(1)
    expect(pool.stats().workers.total).toBe(1)
    // Six tasks: each that has to wait adds a worker, at once, up to max.
    const results = Array.from({ length: 6 }, () => pool.run(3_000))
    await clock.flush()
    expect(pool.stats().targetWorkers).toBe(4)
    expect(pool.stats().running).toBe(4)
    expect(pool.stats().queued).toBe(2)
    // Two workers go idle at 14 s when the first four end and the last two start; those end at 17 s.
    await clock.advance(3_000)
    expect(pool.stats().workers.idle).toBe(2)
    await clock.advance(3_000)
    await Promise.all(results)
    const targets: number[] = []
    for (let t = 17_000; t < 27_000; t += 1000) {
      await clock.advance(1000)
      targets.push(pool.stats().targetWorkers)
    }
    // 18 s … 27 s: the two idle since 14 s go at 24 s, the two idle since 17 s at 27 s.
    expect(targets).toEqual([4, 4, 4, 4, 4, 4, 2, 2, 2, 1])
    await pool.close()
  })

  it('with min 0, has no worker at rest and starts one for a task', async () => {
    const clock = createVirtualClock()
    const handler = (ms: number) => new Promise<number>((resolve) => clock.setTimeout(() => resolve(ms), ms))
    const pool = createPool({ handler, clock, scaler: idleScaler({ min: 0, max: 2, idleTimeout: 1000 }) })
    expect(pool.stats().workers.total).toBe(0)
    const result = pool.run(100)
    await clock.flush()
    expect(pool.stats().targetWorkers).toBe(1)
    await clock.advance(100)
    await expect(result).resolves.toBe(100)
    await clock.advance(1500)
    expect(pool.stats().targetWorkers).toBe(0)
    expect(pool.stats().workers.total).toBe(0)
    await pool.close()
  })
})
