import { describe, expect, it } from 'vitest'
import { createPool, createVirtualClock, inProcess, QueueFullError } from '@poolkit/core'
import type { Executor, VirtualClock } from '@poolkit/core'
import { createMetrics } from '../src/index.js'
import type { PoolMetrics } from '../src/index.js'

/** A handler that takes `ms` of virtual time, then returns it (or throws when `fail`). */
function timed(clock: VirtualClock) {
  return (input: { ms: number; fail?: boolean }) => new Promise<number>((resolve, reject) => clock.setTimeout(() => (input.fail === true ? reject(new Error('failed')) : resolve(input.ms)), input.ms))
}

const poolOf = (metrics: ReturnType<typeof createMetrics>, name: string): PoolMetrics => {
  const found = metrics.snapshot().pools.find((p) => p.pool === name)
  if (found === undefined) throw new Error(`no pool ${name} in the snapshot`)
  return found
}

describe('createMetrics', () => {
  it('counts completed, failed, timed-out, cancelled, retried and dead-lettered tasks, and submitted from the pool', async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock })
    const letters: unknown[] = []
    const pool = createPool({
      handler: timed(clock),
      clock,
      concurrency: 2,
      observers: [metrics],
      name: 'p',
      retry: { attempts: 2, backoff: { initialMs: 1, jitter: 0 }, retryIf: (e) => (e as Error).message === 'failed' },
      deadLetter: { put: (letter) => void letters.push(letter) },
    })
    const controller = new AbortController()
    const results = [pool.run({ ms: 10 }), pool.run({ ms: 20, fail: true }), pool.run({ ms: 1000 }, { timeout: 50 }), pool.run({ ms: 10 }, { signal: controller.signal })].map((p) =>
      p.then(
        () => 'ok',
        (e: Error) => e.name,
      ),
    )
    controller.abort()
    for (let i = 0; i < 10; i++) await clock.advance(100)
    expect(await Promise.all(results)).toEqual(['ok', 'Error', 'TaskTimeoutError', 'AbortError'])
    const p = poolOf(metrics, 'p')
    // The failed task (after its retry) and the timed-out one end in the dead-letter sink.
    expect(p.tasks).toMatchObject({ submitted: 4, completed: 1, failed: 1, timedOut: 1, cancelled: 1, retried: 1, deadLettered: 2, rejected: 0 })
    // Started: the completed one, both tries of the failing one, the timed-out one.
    expect(p.tasks.started).toBe(4)
    expect(letters).toHaveLength(2)
    await pool.close()
  })

  it('counts rejections by reason', async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock })
    const pool = createPool({ handler: timed(clock), clock, concurrency: 1, maxQueue: 1, observers: [metrics], name: 'r' })
    const first = pool.run({ ms: 10 })
    const second = pool.run({ ms: 10 })
    await expect(pool.run({ ms: 10 })).rejects.toBeInstanceOf(QueueFullError)
    await clock.advance(30)
    await Promise.all([first, second])
    await pool.close()
    await expect(pool.run({ ms: 1 })).rejects.toThrow()
    const p = poolOf(metrics, 'r')
    expect(p.tasks.rejected).toBe(2)
    expect(p.tasks.rejectedBy).toEqual({ queueFull: 1, dropped: 0, closed: 1, circuitOpen: 0, noWorkers: 0, unplaceable: 0 })
    expect(p.state).toBe('closed')
  })

  it('measures wait and run times from the pool clock, within the histogram error', async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock })
    const pool = createPool({ handler: timed(clock), clock, concurrency: 1, observers: [metrics], name: 'lat' })
    // One worker: task i waits for the ones before it.
    const runs = [100, 200, 300, 400].map((ms) => pool.run({ ms }))
    await clock.advance(1000)
    await Promise.all(runs)
    const p = poolOf(metrics, 'lat')
    expect(p.run.total).toMatchObject({ count: 4, min: 100, max: 400, sum: 1000, mean: 250 })
    expect(p.wait.total).toMatchObject({ count: 4, min: 0, max: 600, sum: 1000 })
    expect(p.run.total.p50).toBeGreaterThanOrEqual(200 * 0.99)
    expect(p.run.total.p50).toBeLessThanOrEqual(200 * 1.01)
    expect(p.run.recent.count).toBe(4)
    // Prometheus buckets: cumulative, ending with +Inf at the total count.
    const last = p.run.buckets.at(-1)!
    expect(last).toEqual({ le: Infinity, count: 4 })
    expect(p.run.buckets.find((b) => b.le === 250)?.count).toBe(2)
    await pool.close()
  })

  it('keeps the recent latency window to between one and two windowMs of data', async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock, windowMs: 1000 })
    const pool = createPool({ handler: timed(clock), clock, concurrency: 1, observers: [metrics], name: 'w' })
    const first = pool.run({ ms: 10 })
    await clock.advance(10)
    await first
    expect(poolOf(metrics, 'w').run.recent.count).toBe(1)
    await clock.advance(1500)
    // One window later the task is in the previous window: still recent.
    expect(poolOf(metrics, 'w').run.recent.count).toBe(1)
    await clock.advance(1000)
    expect(poolOf(metrics, 'w').run.recent.count).toBe(0)
    expect(poolOf(metrics, 'w').run.total.count).toBe(1)
    await pool.close()
  })

  it('reports throughput and error rate over 1, 10 and 60 second windows', async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock })
    const pool = createPool({ handler: timed(clock), clock, concurrency: 10, observers: [metrics], name: 'rate' })
    // 10 tasks of 100 ms every second for 20 s, one in five failing.
    for (let second = 0; second < 20; second++) {
      const batch = Array.from({ length: 10 }, (_, i) => pool.run({ ms: 100, fail: i % 5 === 0 }).catch(() => undefined))
      await clock.advance(1000)
      await Promise.all(batch)
    }
    const p = poolOf(metrics, 'rate')
    expect(p.throughput['1s']).toBeCloseTo(10, 5)
    expect(p.throughput['10s']).toBeCloseTo(10, 5)
    // 20 s of data: the 60 s window divides by the 20 s it has seen.
    expect(p.throughput['60s']).toBeCloseTo(10, 5)
    expect(p.errorRate['10s']).toBeCloseTo(0.2, 5)
    // 100 ms of work per task, 10 tasks a second, 10 slots: 10% busy.
    expect(p.utilization).toBeCloseTo(0.1, 2)
    await clock.advance(61_000)
    const later = poolOf(metrics, 'rate')
    expect(later.throughput['60s']).toBe(0)
    expect(later.errorRate['60s']).toBe(0)
    await pool.close()
  })

  it('measures utilization over the tasks that may run at once, not over the tasks an executor holds ahead of them', async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock })
    // Workers that run 1 task at a time and hold 3 more ahead, like the node and web adapters with prefetch.
    const executor = { ...inProcess(timed(clock)), tasksPerWorker: 4, runsPerWorker: 1 }
    const pool = createPool({ executor, clock, concurrency: 2, observers: [metrics], name: 'ahead' })
    expect(pool.stats()).toMatchObject({ concurrency: 2, capacity: 8 })
    for (let second = 0; second < 10; second++) {
      const batch = Array.from({ length: 10 }, () => pool.run({ ms: 100 }))
      await clock.advance(1000)
      await Promise.all(batch)
    }
    // 1 s of work a second over 2 tasks at once: 50% (over the 8 handed out, it would read 12.5%).
    expect(poolOf(metrics, 'ahead').utilization).toBeCloseTo(0.5, 2)
    await pool.close()
  })

  it('reads workers, queue depth and running tasks from the pool, live', async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock })
    const pool = createPool({ handler: timed(clock), clock, concurrency: 2, observers: [metrics], name: 'g' })
    const runs = [1, 2, 3, 4, 5].map(() => pool.run({ ms: 100 }))
    await clock.advance(0)
    const p = poolOf(metrics, 'g')
    expect(p.workers).toMatchObject({ total: 2, busy: 2, idle: 0, starting: 0, started: 2, crashed: 0, restarts: 0 })
    expect(p.queueDepth).toBe(3)
    expect(p.running).toBe(2)
    await clock.advance(300)
    await Promise.all(runs)
    expect(poolOf(metrics, 'g')).toMatchObject({ queueDepth: 0, running: 0, workers: { busy: 0, idle: 2 } })
    await pool.close()
  })

  it('labels several pools sharing one metrics object by name, and merges their histograms on request', async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock })
    const a = createPool({ handler: timed(clock), clock, observers: [metrics], name: 'a' })
    const b = createPool({ handler: timed(clock), clock, observers: [metrics], name: 'b' })
    const runs = [a.run({ ms: 10 }), b.run({ ms: 30 }), b.run({ ms: 30 })]
    await clock.advance(100)
    await Promise.all(runs)
    expect(metrics.snapshot().pools.map((p) => [p.pool, p.tasks.completed])).toEqual([
      ['a', 1],
      ['b', 2],
    ])
    const merged = metrics.histogram('run')
    expect(merged.count).toBe(3)
    expect(merged.min).toBe(10)
    expect(metrics.histogram('run', 'b').count).toBe(2)
    expect(() => metrics.histogram('run', 'nope')).toThrow(/no pool named "nope"/)
    await Promise.all([a.close(), b.close()])
  })

  it('keeps per-key series up to maxKeys, counting tasks of keys beyond it, and lets idle keys make room', async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock, maxKeys: 2, keyIdleMs: 5000 })
    const pool = createPool({ handler: timed(clock), clock, concurrency: 4, observers: [metrics], name: 'k' })
    const runs = [
      pool.run({ ms: 10 }, { key: 'tenant-a' }),
      pool.run({ ms: 20, fail: true }, { key: 'tenant-b' }).catch(() => undefined),
      pool.run({ ms: 10 }, { key: 'tenant-c' }),
      pool.run({ ms: 10 }, { key: 'tenant-a' }),
    ]
    await clock.advance(100)
    await Promise.all(runs)
    let p = poolOf(metrics, 'k')
    // Keys are taken as tasks end: a and c (10 ms) before b (20 ms), which finds no room.
    expect(p.keys.map((k) => k.key).sort()).toEqual(['tenant-a', 'tenant-c'])
    expect(p.keys.find((k) => k.key === 'tenant-a')).toMatchObject({ completed: 2, run: { count: 2, max: 10 } })
    expect(p.keys.find((k) => k.key === 'tenant-c')).toMatchObject({ completed: 1, wait: { count: 1, max: 0 } })
    expect(p.untrackedKeyTasks).toBe(1)
    // Both tracked keys idle past keyIdleMs: a new key replaces the longest idle one.
    await clock.advance(6000)
    const later = pool.run({ ms: 20, fail: true }, { key: 'tenant-b' }).catch(() => undefined)
    await clock.advance(20)
    await later
    p = poolOf(metrics, 'k')
    expect(p.keys[0]).toMatchObject({ key: 'tenant-b', failed: 1 })
    expect(p.keys).toHaveLength(2)
    await pool.close()
  })

  it('counts worker crashes and the restarts that replace them', async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock })
    const exits: ((exit: { exitCode: number }) => void)[] = []
    const executor: Executor<number, number> = {
      kind: 'crashy',
      spawn: (context) => {
        exits.push(context.onExit)
        return { id: context.workerId, run: (x: number) => Promise.resolve(x), terminate: () => Promise.resolve() }
      },
    }
    const pool = createPool({ executor, clock, concurrency: 2, observers: [metrics], name: 'c' })
    await pool.ready()
    exits[0]!({ exitCode: 1 })
    await clock.advance(1000)
    await pool.ready()
    const p = poolOf(metrics, 'c')
    expect(p.workers).toMatchObject({ started: 3, crashed: 1, restarts: 1, total: 2 })
    await pool.close()
    // Closing retires workers: neither a crash nor a restart.
    expect(poolOf(metrics, 'c').workers).toMatchObject({ crashed: 1, restarts: 1 })
  })

  it('reset() zeroes counters, histograms, rates and keys but not the live gauges', async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock })
    const pool = createPool({ handler: timed(clock), clock, concurrency: 1, observers: [metrics], name: 'z' })
    const done = [pool.run({ ms: 10 }, { key: 'k' }), pool.run({ ms: 10 })]
    await clock.advance(20)
    await Promise.all(done)
    const blocked = pool.run({ ms: 100 })
    await clock.advance(0)
    metrics.reset()
    const p = poolOf(metrics, 'z')
    expect(p.tasks).toMatchObject({ submitted: 0, completed: 0, started: 0 })
    expect(p.run.total.count).toBe(0)
    expect(p.throughput['10s']).toBe(0)
    expect(p.keys).toEqual([])
    expect(p.running).toBe(1)
    await clock.advance(100)
    await blocked
    expect(poolOf(metrics, 'z').tasks).toMatchObject({ submitted: 0, completed: 1 })
    await pool.close()
  })

  it('renders its snapshot as Prometheus text', async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock })
    const pool = createPool({ handler: timed(clock), clock, observers: [metrics], name: 'prom' })
    const run = pool.run({ ms: 5 })
    await clock.advance(5)
    await run
    const text = metrics.toPrometheus()
    expect(text).toContain('poolkit_task_run_seconds_count{pool="prom"} 1')
    expect(text).toMatch(/poolkit_task_run_seconds_sum\{pool="prom"\} 0\.005/)
    await pool.close()
  })

  it('refuses bad options with a message naming the option and the value', () => {
    expect(() => createMetrics({ windowMs: 0 })).toThrow(/options\.windowMs must be a positive finite number of milliseconds, got 0/)
    expect(() => createMetrics({ maxKeys: -1 })).toThrow(/options\.maxKeys must be a non-negative integer, got -1/)
    expect(() => createMetrics({ buckets: [5, 1] })).toThrow(/options\.buckets must be ascending/)
    expect(() => createMetrics({ clock: {} as never })).toThrow(/options\.clock must be a Clock/)
    expect(() => createMetrics({ histogram: { relativeError: 0.5 } })).toThrow(/relativeError/)
    expect(() => createMetrics('x' as never)).toThrow(/options must be an object, got "x"/)
  })
})
