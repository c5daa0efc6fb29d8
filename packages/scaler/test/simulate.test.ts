import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { PoolSnapshot, Scaler } from '@poolkit/core'
import { simulate } from '../src/simulate.js'
import type { SimulateOptions } from '../src/simulate.js'

/** A pool of exactly `n` workers. */
const fixed = (n: number): Scaler => ({ min: n, max: n, desired: () => n })

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0)

const base: SimulateOptions = {
  scaler: fixed(4),
  arrivals: { kind: 'poisson', perSecond: 100 },
  service: { baseMs: 10 },
  durationMs: 2000,
}

describe('simulate() options', () => {
  it.each([
    [{ durationMs: 0 }, TypeError, 'options.durationMs must be a positive finite number, got 0'],
    [{ scaler: { min: 1 } }, TypeError, 'options.scaler must be an object with a desired() function, got an object'],
    [{ seed: -1 }, TypeError, 'options.seed must be a non-negative integer, got -1'],
    [{ maxConcurrency: 1.5 }, TypeError, 'options.maxConcurrency must be a positive integer, got 1.5'],
    [{ sampleMs: Infinity }, TypeError, 'options.sampleMs must be a positive finite number, got Infinity'],
    [{ arrivals: { kind: 'linear' } }, TypeError, `options.arrivals.kind must be 'poisson', 'steps' or 'burst', got "linear"`],
    [{ arrivals: { kind: 'poisson', perSecond: -5 } }, TypeError, 'options.arrivals.perSecond must be a non-negative finite number, got -5'],
    [{ arrivals: { kind: 'steps', steps: [] } }, TypeError, 'options.arrivals.steps must be a non-empty array, got an array'],
    [
      {
        arrivals: {
          kind: 'steps',
          steps: [
            { atMs: 100, perSecond: 1 },
            { atMs: 50, perSecond: 2 },
          ],
        },
      },
      RangeError,
      'options.arrivals.steps[1].atMs (50) must be after steps[0].atMs (100)',
    ],
    [{ arrivals: { kind: 'burst', perSecond: 1, burst: { atMs: 0, count: 2.5 } } }, TypeError, 'options.arrivals.burst.count must be a non-negative integer, got 2.5'],
    [{ service: { baseMs: -1 } }, TypeError, 'options.service.baseMs must be a non-negative finite number, got -1'],
    [{ service: { baseMs: 10, knee: 0 } }, TypeError, 'options.service.knee must be a positive finite number, got 0'],
    [{ service: { baseMs: 10, jitter: 1 } }, TypeError, 'options.service.jitter must be a number from 0 to below 1, got 1'],
    [{ service: { baseMs: 10, errorRate: 2 } }, TypeError, 'options.service.errorRate must be a number from 0 to 1, got 2'],
    [{ scaler: fixed(8), maxConcurrency: 4 }, RangeError, 'options.scaler.min (8) must not exceed options.maxConcurrency (4)'],
  ])('rejects %j with a message naming the option and the value', async (patch, type, message) => {
    const run = simulate({ ...base, ...(patch as Partial<SimulateOptions>) })
    await expect(run).rejects.toThrow(type)
    await expect(run).rejects.toThrow(message)
  })

  it('rejects a rate function that returns a negative rate, naming the time', async () => {
    await expect(simulate({ ...base, arrivals: (t) => (t < 500 ? 10 : -1) })).rejects.toThrow('options.arrivals(500) must return a non-negative finite number, got -1')
  })
})

describe('simulate() runs', () => {
  it('gives the same report for the same seed and a different one for another seed', async () => {
    const options: SimulateOptions = { ...base, service: { baseMs: 10, jitter: 0.5 }, seed: 7 }
    const a = await simulate(options)
    const b = await simulate(options)
    const c = await simulate({ ...options, seed: 8 })
    expect(b).toEqual(a)
    expect(c.samples.map((s) => s.arrived)).not.toEqual(a.samples.map((s) => s.arrived))
  })

  it('takes one sample per sampleMs, the last at durationMs', async () => {
    const report = await simulate({ ...base, durationMs: 2500, sampleMs: 500 })
    expect(report.samples.map((s) => s.atMs)).toEqual([500, 1000, 1500, 2000, 2500])
  })

  it('draws Poisson arrivals at the given rate and serves them all when capacity suffices', async () => {
    const report = await simulate({ scaler: fixed(20), arrivals: { kind: 'poisson', perSecond: 1000 }, service: { baseMs: 10 }, durationMs: 20_000 })
    const arrived = sum(report.samples.map((s) => s.arrived))
    expect(arrived).toBeGreaterThan(19_400)
    expect(arrived).toBeLessThan(20_600)
    // Everything but the tasks still running at the end finished, and throughput follows the arrivals.
    expect(report.completed).toBeGreaterThan(arrived - 20)
    expect(report.failed).toBe(0)
    for (const s of report.samples.slice(1)) expect(s.throughput).toBeGreaterThan(850)
    // 20 workers, 10 busy on average (1,000/s × 10 ms): about 10 idle worker-seconds each second.
    expect(report.meanWorkers).toBeCloseTo(20, 6)
    expect(report.wastedWorkerSeconds).toBeGreaterThan(190)
    expect(report.wastedWorkerSeconds).toBeLessThan(210)
    expect(report.scalingChanges).toBe(0)
  })

  it('measures exact queue waits: a burst of 10 on one worker of 10 ms waits 0, 10, ... 90 ms', async () => {
    const report = await simulate({
      scaler: fixed(1),
      arrivals: { kind: 'burst', perSecond: 0, burst: { atMs: 100, count: 10 } },
      service: { baseMs: 10 },
      durationMs: 1000,
    })
    expect(report.completed).toBe(10)
    expect(report.wait).toEqual({ p50: 40, p95: 90, p99: 90, max: 90 })
    expect(report.samples[0]).toMatchObject({ arrived: 10, completed: 10, workers: 1, busy: 0, queued: 0, waitP50: 40 })
    // The worker ran 100 ms of the second.
    expect(report.wastedWorkerSeconds).toBeCloseTo(0.9, 9)
  })

  it('changes the arrival rate at each step, with no arrivals before the first', async () => {
    const report = await simulate({
      ...base,
      scaler: fixed(50),
      arrivals: {
        kind: 'steps',
        steps: [
          { atMs: 1000, perSecond: 200 },
          { atMs: 3000, perSecond: 2000 },
        ],
      },
      durationMs: 5000,
    })
    const arrived = report.samples.map((s) => s.arrived)
    expect(arrived[0]).toBe(0)
    for (const n of arrived.slice(1, 3)) {
      expect(n).toBeGreaterThan(150)
      expect(n).toBeLessThan(250)
    }
    for (const n of arrived.slice(3)) {
      expect(n).toBeGreaterThan(1850)
      expect(n).toBeLessThan(2150)
    }
  })

  it('follows a rate function, read at each millisecond', async () => {
    // A ramp from 0 to 1,000 tasks/s over 4 s: 2,000 tasks expected.
    const report = await simulate({ ...base, scaler: fixed(30), arrivals: (t) => t / 4, durationMs: 4000 })
    const arrived = sum(report.samples.map((s) => s.arrived))
    expect(arrived).toBeGreaterThan(1850)
    expect(arrived).toBeLessThan(2150)
    expect(report.samples[3]!.arrived).toBeGreaterThan(report.samples[0]!.arrived * 3)
  })

  it('queues a burst behind a small pool and drains it after', async () => {
    const report = await simulate({
      scaler: fixed(5),
      arrivals: { kind: 'burst', perSecond: 100, burst: { atMs: 1500, count: 1000 } },
      service: { baseMs: 10 },
      durationMs: 6000,
    })
    // 5 workers of 10 ms serve 500/s: the 1,000 extra tasks take about 2.5 s to clear (100/s keep coming).
    expect(report.samples[1]!.queued).toBeGreaterThan(600)
    expect(report.samples[1]!.busy).toBe(5)
    expect(report.samples[2]!.waitP95).toBeGreaterThan(500)
    expect(report.samples[5]!.queued).toBe(0)
    expect(report.samples[5]!.waitP99).toBeLessThan(50)
    expect(report.wait.max).toBeGreaterThan(1500)
  })

  it('caps throughput at knee / baseMs past a hidden knee, however many workers run', async () => {
    const options: SimulateOptions = { scaler: fixed(80), arrivals: { kind: 'poisson', perSecond: 6000 }, service: { baseMs: 10 }, durationMs: 4000 }
    const free = await simulate(options)
    const knee = await simulate({ ...options, service: { baseMs: 10, knee: 40 } })
    const steady = (r: typeof free): number => sum(r.samples.slice(1).map((s) => s.throughput)) / (r.samples.length - 1)
    expect(steady(free)).toBeGreaterThan(5700)
    // 40 tasks at once, 10 ms each: 4,000/s at most, and the queue grows.
    expect(steady(knee)).toBeGreaterThan(3700)
    expect(steady(knee)).toBeLessThan(4300)
    expect(knee.samples.at(-1)!.queued).toBeGreaterThan(3000)
  })

  it('slows each task past the knee by slope ms per extra task', async () => {
    // 10 tasks in a burst on 10 workers, knee 5, slope 2: the 6th to 10th take 12, 14, 16, 18, 20 ms.
    const report = await simulate({
      scaler: fixed(10),
      arrivals: { kind: 'burst', perSecond: 0, burst: { atMs: 0, count: 10 } },
      service: { baseMs: 10, knee: 5, slope: 2 },
      durationMs: 1000,
    })
    expect(report.completed).toBe(10)
    expect(report.wastedWorkerSeconds).toBeCloseTo(10 - (5 * 10 + 12 + 14 + 16 + 18 + 20) / 1000, 9)
  })

  it('fails tasks past the knee only, at errorRate, with a 429-like error', async () => {
    const options: SimulateOptions = { scaler: fixed(20), arrivals: { kind: 'poisson', perSecond: 1000 }, service: { baseMs: 10, knee: 40, errorRate: 0.5 }, durationMs: 3000 }
    const under = await simulate(options)
    expect(under.failed).toBe(0)
    const over = await simulate({ ...options, scaler: fixed(100), arrivals: { kind: 'poisson', perSecond: 6000 } })
    expect(over.failed).toBeGreaterThan(0)
    const noKnee = await simulate({ ...options, service: { baseMs: 10, errorRate: 0.1 } })
    expect(noKnee.failed / (noKnee.failed + noKnee.completed)).toBeGreaterThan(0.08)
    expect(noKnee.failed / (noKnee.failed + noKnee.completed)).toBeLessThan(0.12)
  })

  it('starts the pool at the scaler min, follows its answers and counts each change', async () => {
    const snapshots: PoolSnapshot[] = []
    // 2, 6, 2, 6...: a change at every tick.
    const flip: Scaler = {
      min: 2,
      max: 6,
      intervalMs: 500,
      desired(s) {
        snapshots.push(s)
        return s.targetWorkers === 2 ? 6 : 2
      },
    }
    const report = await simulate({ ...base, scaler: flip, durationMs: 3000, sampleMs: 500 })
    expect(snapshots.map((s) => s.now)).toEqual([500, 1000, 1500, 2000, 2500, 3000].slice(0, snapshots.length))
    expect(snapshots.length).toBeGreaterThanOrEqual(5)
    expect(report.scalingChanges).toBe(snapshots.length)
    // Idle workers retire at once, so the count follows the target: 6 after odd ticks, 2 after even ones.
    expect(report.samples.slice(0, 5).map((s) => s.workers)).toEqual([6, 2, 6, 2, 6])
    expect(report.meanWorkers).toBeGreaterThan(3)
    expect(report.meanWorkers).toBeLessThan(5)
  })

  it('caps the workers at maxConcurrency whatever the scaler asks', async () => {
    const greedy: Scaler = { min: 1, desired: () => 5000 }
    const report = await simulate({ ...base, scaler: greedy, maxConcurrency: 30 })
    expect(Math.max(...report.samples.map((s) => s.workers))).toBe(30)
  })

  it('rejects with the error a scaler throws', async () => {
    const broken: Scaler = {
      desired() {
        throw new Error('policy bug')
      },
    }
    await expect(simulate({ ...base, scaler: broken })).rejects.toThrow('policy bug')
  })

  it('runs tasks that take no time', async () => {
    const report = await simulate({ ...base, service: { baseMs: 0 } })
    expect(report.completed).toBe(sum(report.samples.map((s) => s.arrived)))
    expect(report.wait.max).toBe(0)
  })

  it('runs 60 s of 1,000 tasks/s and serves them all with 20 workers', async () => {
    const report = await simulate({ scaler: fixed(20), arrivals: { kind: 'poisson', perSecond: 1000 }, service: { baseMs: 10, jitter: 0.3 }, durationMs: 60_000 })
    expect(report.samples).toHaveLength(60)
    expect(report.completed).toBeGreaterThan(58_000)
    expect(report.wait.p99).toBe(0)
  })

  it('keeps its books straight for any load and pool size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 0, max: 50 }),
        fc.double({ min: 0, max: 0.9, noNaN: true }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        async (perSecond, workers, baseMs, jitter, seed) => {
          const durationMs = 2000
          const report = await simulate({ scaler: fixed(workers), arrivals: { kind: 'poisson', perSecond }, service: { baseMs, jitter }, durationMs, seed, sampleMs: 500 })
          const arrived = sum(report.samples.map((s) => s.arrived))
          expect(sum(report.samples.map((s) => s.completed))).toBe(report.completed + report.failed)
          expect(report.completed).toBeLessThanOrEqual(arrived)
          for (const s of report.samples) {
            expect(s.workers).toBe(workers)
            expect(s.busy).toBeLessThanOrEqual(s.workers)
            expect(s.waitP50).toBeLessThanOrEqual(s.waitP95)
            expect(s.waitP95).toBeLessThanOrEqual(s.waitP99)
          }
          expect(report.wait.p99).toBeLessThanOrEqual(report.wait.max)
          expect(report.wastedWorkerSeconds).toBeGreaterThanOrEqual(0)
          expect(report.wastedWorkerSeconds).toBeLessThanOrEqual((workers * durationMs) / 1000 + 1e-9)
        },
      ),
      { numRuns: 25 },
    )
  })
})
