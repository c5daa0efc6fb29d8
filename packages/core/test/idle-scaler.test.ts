// The one idle rule (`idleScaler`), which @poolkit/scaler re-exports and the
// node adapter's `idleTimeout` uses: each worker retires once it has been idle
// for idleTimeout. The scaler package's tests cover its options and growth.
import { describe, expect, it } from 'vitest'
import { createPool, createVirtualClock, idleScaler, type PoolSnapshot } from '../src/index.js'

/** A snapshot of `target` ready workers at `now`, the idle ones idle since the times in `idleSince`. */
function snapshot(now: number, target: number, idleSince: readonly number[] | undefined, idle = idleSince?.length ?? 0): PoolSnapshot {
  return {
    now,
    intervalMs: 0,
    workers: { total: target, busy: target - idle, idle, starting: 0 },
    targetWorkers: target,
    tasksPerWorker: 1,
    queued: 0,
    running: target - idle,
    arrivalRate: 0,
    completionRate: 0,
    errorRate: 0,
    meanWaitMs: 0,
    meanRunMs: 0,
    utilization: 0,
    eventLoopUtilization: undefined,
    ...(idleSince === undefined ? {} : { idleSince }),
  }
}

describe('idleScaler', () => {
  it('retires each worker idle for idleTimeout, not one that became idle a moment ago', () => {
    const s = idleScaler({ min: 0, idleTimeout: 1000 })
    // Two idle workers: one since 0, one since 900 (it just finished a task).
    expect(s.desired(snapshot(999, 3, [0, 900]))).toBe(3)
    expect(s.desired(snapshot(1000, 3, [0, 900]))).toBe(2)
    expect(s.desired(snapshot(1900, 2, [900]))).toBe(1)
  })

  it('estimates the idle times from the sampled idle counts when the snapshot has no idleSince', () => {
    const s = idleScaler({ min: 0, idleTimeout: 1000 })
    expect(s.desired(snapshot(0, 3, undefined, 1))).toBe(3)
    // A second worker went idle between the asks: counted from this ask.
    expect(s.desired(snapshot(500, 3, undefined, 2))).toBe(3)
    expect(s.desired(snapshot(1000, 3, undefined, 2))).toBe(2)
    expect(s.desired(snapshot(1500, 2, undefined, 1))).toBe(1)
  })

  it('on a pool, keeps the worker that keeps running tasks and retires the one left idle', async () => {
    const clock = createVirtualClock()
    const handler = (ms: number) => new Promise<number>((resolve) => clock.setTimeout(() => resolve(ms), ms))
    const pool = createPool({ handler, clock, concurrency: 2, scaler: idleScaler({ min: 0, max: 2, idleTimeout: 1000 }) })
    expect(pool.stats().targetWorkers).toBe(2)
    // One task at a time, back to back: one worker busy most of the time, the other idle throughout.
    for (let i = 0; i < 6; i++) {
      const done = pool.run(300)
      await clock.advance(300)
      await done
    }
    expect(pool.stats().targetWorkers).toBe(1)
    // The last one, idle since 1.8 s, goes at the first ask (every 500 ms) after 2.8 s.
    await clock.advance(1000)
    expect(pool.stats().targetWorkers).toBe(1)
    await clock.advance(200)
    expect(pool.stats().targetWorkers).toBe(0)
    await pool.close()
  })
})
