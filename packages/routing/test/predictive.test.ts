import { describe, expect, it } from 'vitest'
import { createPool, createVirtualClock } from '@poolkit/core'
import type { PoolObserver, TaskInfo, WorkerInfo, WorkerSelector } from '@poolkit/core'
import { predictive, roundRobin } from '../src/index.js'
import { unequalWorkers } from './simulate-routing.js'

type MutableWorker = { -readonly [K in keyof WorkerInfo]: WorkerInfo[K] }

/** A worker as the pool shows it, with `running` to set by hand. */
const worker = (id: number, running = 0): MutableWorker => ({ id, running, capacity: 8, finished: 0, readyAt: 0, busyMs: 0, eventLoopUtilization: undefined, capabilities: [] })

/** A task of `name`; `startedAt` -1 (a hand-made task) counts its run time as it is. */
const task = (name?: string, startedAt = -1): TaskInfo => ({ id: 1, priority: 0, key: undefined, name, attempt: 1, submittedAt: 0, enqueuedAt: 0, startedAt, waitMs: 0, runMs: 0 })

/** A selector that knows `workers` as started, as a pool would announce them. */
function started(selector: WorkerSelector, ...workers: WorkerInfo[]): WorkerSelector {
  for (const w of workers) selector.onWorkerStarted!(w)
  return selector
}

/** Reports an attempt of `name` that ran `ms` on `w`. */
const ran = (selector: WorkerSelector, w: WorkerInfo, ms: number, name?: string, ok = true): void => selector.onFinished!(task(name), w, ms, ok)

describe('predictive(): the rule', () => {
  it('picks the candidate with the least mean run time × (running + 1)', () => {
    const [w1, w2] = [worker(1), worker(2)]
    const s = started(predictive({ explore: Infinity }), w1, w2)
    ran(s, w1, 10)
    ran(s, w2, 40)
    w1.running = 2 // 10 × 3 = 30 < 40 × 1
    expect(s.select([w1, w2], task())).toBe(w1)
    w1.running = 3 // 10 × 4 = 40: a tie, to the one running fewer
    expect(s.select([w1, w2], task())).toBe(w2)
    w1.running = 4 // 50 > 40
    expect(s.select([w1, w2], task())).toBe(w2)
  })

  it('breaks ties by the fewest running tasks, then the lowest id', () => {
    const [w1, w2, w3] = [worker(1, 1), worker(2), worker(3)]
    // No history anywhere: every worker counts as 0.
    const s = started(predictive({ explore: Infinity }), w1, w2, w3)
    expect(s.select([w3, w1, w2], task())).toBe(w2)
    w2.running = 1
    expect(s.select([w3, w1, w2], task())).toBe(w3)
  })

  it('counts a worker without history for the name at the mean of the others’ means', () => {
    const [w1, w2, w3] = [worker(1), worker(2), worker(3)]
    const s = started(predictive({ explore: Infinity }), w1, w2, w3)
    ran(s, w1, 10)
    ran(s, w2, 30)
    // w3 counts as 20: behind w1 (10), ahead of w1 with two running (30) and of w2 (30).
    expect(s.select([w1, w2, w3], task())).toBe(w1)
    w1.running = 2
    expect(s.select([w1, w2, w3], task())).toBe(w3)
  })

  it('keeps a separate mean per task name, tasks without a name sharing one', () => {
    const [w1, w2] = [worker(1), worker(2)]
    const s = started(predictive(), w1, w2)
    ran(s, w1, 10, 'parse')
    ran(s, w2, 40, 'parse')
    ran(s, w1, 50, 'render')
    ran(s, w2, 20, 'render')
    ran(s, w1, 15)
    ran(s, w2, 5)
    expect(s.select([w1, w2], task('parse'))).toBe(w1)
    expect(s.select([w1, w2], task('render'))).toBe(w2)
    expect(s.select([w1, w2], task())).toBe(w2)
    expect(s.select([w1, w2], task('parse'))).toBe(w1)
  })

  it('weighs each new run time by alpha', () => {
    const pick = (alpha: number, other: number): number => {
      const [w1, w2] = [worker(1), worker(2)]
      const s = started(predictive({ alpha }), w1, w2)
      ran(s, w1, 10)
      ran(s, w1, 30)
      ran(s, w2, other)
      return s.select([w1, w2], task())!.id
    }
    // alpha 0.5: w1's mean is 20; alpha 0.2: 14; alpha 1: 30 (the last run time only).
    expect([pick(0.5, 19), pick(0.5, 21)]).toEqual([2, 1])
    expect([pick(0.2, 13), pick(0.2, 15)]).toEqual([2, 1])
    expect([pick(1, 29), pick(1, 31)]).toEqual([2, 1])
  })

  it('counts a failed attempt as at least the worker’s estimate, so failing fast never makes a worker look fast', () => {
    const [w1, w2] = [worker(1), worker(2)]
    const s = started(predictive(), w1, w2)
    ran(s, w1, 20)
    ran(s, w2, 15)
    for (let i = 0; i < 10; i++) ran(s, w1, 1, undefined, false)
    expect(s.select([w1, w2], task())).toBe(w2)
    // A slow failure counts in full: w1 goes to 20 + 0.2 × (100 - 20) = 36.
    ran(s, w1, 100, undefined, false)
    w2.running = 1 // 15 × 2 = 30 < 36
    expect(s.select([w1, w2], task())).toBe(w2)
  })

  it('leaves out the time a task waited behind the worker’s previous task', () => {
    const [w1, w2] = [worker(1), worker(2)]
    const s = started(predictive(), w1, w2)
    // Both sent to w1 at 0; the second waited 10 ms behind the first and then ran 10 ms.
    s.onFinished!(task(undefined, 0), w1, 10, true)
    s.onFinished!(task(undefined, 0), w1, 20, true)
    s.onFinished!(task(undefined, 0), w2, 11, true)
    // w1 counts 10 and 10 (not 10 and 20, a mean of 12), ahead of w2's 11.
    expect(s.select([w1, w2], task())).toBe(w1)
  })

  it('picks a candidate never measured for the name first, then the one left out longest past explore', () => {
    const [w1, w2, w3] = [worker(1), worker(2), worker(3)]
    const s = started(predictive({ explore: 5 }), w1, w2, w3)
    ran(s, w1, 10)
    ran(s, w2, 100)
    // w3 has no history: it is probed at once.
    expect(s.select([w1, w2, w3], task())).toBe(w3)
    ran(s, w3, 200)
    const picks = Array.from({ length: 8 }, () => s.select([w1, w2, w3], task())!.id)
    // w2 was last measured 1 pick ago and w3 at the probe: w2 comes due first, at the 5th pick since it was measured.
    expect(picks).toEqual([1, 1, 1, 1, 2, 3, 1, 1])
  })

  it('replaces a stale mean by the run time a re-probe measures, instead of blending it in', () => {
    const [w1, w2] = [worker(1), worker(2)]
    const s = started(predictive({ explore: 5 }), w1, w2)
    ran(s, w1, 10)
    ran(s, w2, 100)
    const picks = Array.from({ length: 6 }, () => s.select([w1, w2], task())!.id)
    expect(picks).toEqual([1, 1, 1, 1, 1, 2])
    // w2 got faster meanwhile: its probe's 8 ms is its new mean (blended in, it would be 81.6).
    ran(s, w2, 8)
    expect(s.select([w1, w2], task())).toBe(w2)
  })

  it('never re-probes with explore: Infinity', () => {
    const [w1, w2] = [worker(1), worker(2)]
    const s = started(predictive({ explore: Infinity }), w1, w2)
    ran(s, w1, 10)
    ran(s, w2, 100)
    const picks = Array.from({ length: 2000 }, () => s.select([w1, w2], task())!.id)
    expect(picks.every((id) => id === 1)).toBe(true)
  })

  it('forgets the name used least recently past maxNames, which then counts as never measured', () => {
    const [w1, w2] = [worker(1), worker(2)]
    const s = started(predictive({ maxNames: 2 }), w1, w2)
    ran(s, w1, 30, 'a')
    ran(s, w2, 20, 'a')
    ran(s, w1, 30, 'b')
    ran(s, w2, 20, 'b')
    expect(s.select([w1, w2], task('a'))).toBe(w2)
    // 'b' used again keeps its place; 'c' pushes out w1's 'a', the least recently used, and w1 is probed for 'a'.
    ran(s, w1, 30, 'b')
    ran(s, w1, 30, 'c')
    expect(s.select([w1, w2], task('b'))).toBe(w2)
    expect(s.select([w1, w2], task('a'))).toBe(w1)
  })

  it('drops what it knows of a worker when it exits, and ignores a late report about it', () => {
    const [w1, w2] = [worker(1), worker(2)]
    const s = started(predictive({ explore: Infinity }), w1, w2)
    ran(s, w1, 10)
    ran(s, w2, 50)
    s.onWorkerExited!(w1)
    ran(s, w1, 10)
    // Had w1 stayed, w3 would count at the mean of 10 and 50 (30) and win; it counts at w2's 50, a tie, to the lower id.
    const w3 = worker(3)
    s.onWorkerStarted!(w3)
    expect(s.select([w2, w3], task())).toBe(w2)
    // A worker with id 1 again is new (there is no history of it).
    const again = worker(1)
    expect(started(predictive(), w2).select([w2, again], task())).toBe(again)
  })
})

describe('predictive(options): validation', () => {
  it('throws at once, naming the option and the value', () => {
    expect(() => predictive({ alpha: 0 })).toThrow(new TypeError('options.alpha must be a number above 0 and at most 1, got 0'))
    expect(() => predictive({ alpha: 1.5 })).toThrow(new TypeError('options.alpha must be a number above 0 and at most 1, got 1.5'))
    expect(() => predictive({ explore: 0 })).toThrow(TypeError)
    expect(() => predictive({ explore: 0 })).toThrow('options.explore')
    expect(() => predictive({ maxNames: Infinity })).toThrow('options.maxNames')
    expect(() => predictive(null as never)).toThrow('options must be an object, got null')
  })

  it('accepts the bounds and no options at all', () => {
    for (const options of [undefined, {}, { alpha: 1 }, { alpha: Number.MIN_VALUE }, { explore: 1 }, { explore: Infinity }, { maxNames: 1 }]) {
      expect(typeof predictive(options).select).toBe('function')
    }
  })
})

describe('predictive() in a pool on the virtual clock', () => {
  /**
   * Ten-millisecond tasks every `gapMs` on workers of `slowness`, each holding up to 4, the pool starting with
   * `workers` of them; `before(pool, i)` runs before the i-th task. The tasks each worker ran, where each
   * started, and the mean latency.
   */
  async function stream(
    selector: WorkerSelector,
    slowness: readonly number[],
    gapMs: number,
    tasks: number,
    workers = slowness.length,
    before?: (pool: { resize(n: number): void }, i: number) => void,
  ) {
    const clock = createVirtualClock()
    const counts: number[] = slowness.map(() => 0)
    const placed: number[] = []
    const observer: PoolObserver = { onStarted: (_pool, _task, w) => void placed.push(w.id) }
    const pool = createPool<number, number>({ executor: unequalWorkers(clock, slowness, 4, counts), concurrency: workers, clock, selector, observers: [observer] })
    const errors: unknown[] = []
    pool.on('error', (error) => errors.push(error))
    let latency = 0
    const runs: Promise<void>[] = []
    for (let i = 0; i < tasks; i++) {
      before?.(pool, i)
      const at = clock.now()
      runs.push(pool.run(10).then(() => void (latency += clock.now() - at)))
      await clock.advance(gapMs)
    }
    await clock.runAll()
    await Promise.all(runs)
    await pool.close()
    expect(errors).toEqual([])
    return { counts, placed, meanLatency: latency / tasks }
  }

  it('sends a worker five times slower far fewer tasks than roundRobin does, and tasks finish sooner', async () => {
    // Capacity 3 × 0.1 + 0.02 = 0.32 tasks/ms; a task every 4 ms is 78% of it.
    const p = await stream(predictive(), [5, 1, 1, 1], 4, 400)
    const rr = await stream(roundRobin(), [5, 1, 1, 1], 4, 400)
    // Round robin gives the slow worker every turn it has room for (35 tasks here); predictive, its first probe.
    expect(rr.counts[0]).toBeGreaterThan(30)
    expect(p.counts[0]! * 4).toBeLessThan(rr.counts[0]!)
    expect(p.meanLatency * 2).toBeLessThan(rr.meanLatency)
  })

  it('gives a worker that joins later tasks at once, then as many as its own speed earns', async () => {
    // Worker 1 at base speed and worker 2 five times slower, a task every 9 ms: worker 1 alone cannot keep up.
    // Worker 3, at base speed, joins at task 200.
    const { placed } = await stream(predictive(), [1, 5, 1], 9, 400, 2, (pool, i) => {
      if (i === 200) pool.resize(3)
    })
    const share = (from: readonly number[], id: number): number => from.filter((w) => w === id).length / from.length
    const [before, after] = [placed.slice(0, 200), placed.slice(200)]
    expect(share(before, 2)).toBeGreaterThan(0.05)
    expect(after.slice(0, 3)).toContain(3)
    expect(share(after, 3)).toBeGreaterThan(0.3)
    expect(share(after, 2)).toBeLessThan(share(before, 2) / 2)
  })
})
