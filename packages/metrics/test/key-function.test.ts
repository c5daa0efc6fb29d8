// createMetrics({ key }): the per-key series follow a key function (issue 23),
// so a pool whose tasks are keyed by tenant can report by provider.
import { DataPointType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { describe, expect, it } from 'vitest'
import { createPool, createVirtualClock, QueueFullError } from '@poolkit/core'
import type { TaskInfo, VirtualClock } from '@poolkit/core'
import { bridgeOpenTelemetry, createMetrics } from '../src/index.js'
import type { Metrics, PoolMetrics } from '../src/index.js'

/** A handler that takes `ms` of virtual time, then returns it (or throws when `fail`). */
function timed(clock: VirtualClock) {
  return (input: { ms: number; fail?: boolean }) => new Promise<number>((resolve, reject) => clock.setTimeout(() => (input.fail === true ? reject(new Error('failed')) : resolve(input.ms)), input.ms))
}

const poolOf = (metrics: Metrics, name: string): PoolMetrics => {
  const found = metrics.snapshot().pools.find((p) => p.pool === name)
  if (found === undefined) throw new Error(`no pool ${name} in the snapshot`)
  return found
}

const provider = (task: TaskInfo): string | undefined => task.labels?.provider

class TestReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

describe('createMetrics({ key })', () => {
  it('keeps the per-key series by provider (labels.provider) while the tasks are keyed by tenant: snapshot keys, counts and histograms', async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock, key: provider })
    const pool = createPool({ handler: timed(clock), clock, concurrency: 1, maxQueue: 3, observers: [metrics], name: 'gw' })
    const controller = new AbortController()
    const runs = [
      pool.run({ ms: 10 }, { key: 'tenant-a', labels: { provider: 'openai' } }),
      pool.run({ ms: 20 }, { key: 'tenant-b', labels: { provider: 'openai' } }),
      pool.run({ ms: 30, fail: true }, { key: 'tenant-a', labels: { provider: 'anthropic' } }).catch(() => 'failed'),
      pool.run({ ms: 40 }, { key: 'tenant-b', labels: { provider: 'anthropic' }, signal: controller.signal }).catch(() => 'cancelled'),
    ]
    // The queue holds 3 (one task runs): a fifth is refused, and counts for its provider.
    await expect(pool.run({ ms: 1 }, { key: 'tenant-a', labels: { provider: 'mistral' } })).rejects.toBeInstanceOf(QueueFullError)
    controller.abort()
    await clock.advance(100)
    expect(await Promise.all(runs)).toEqual([10, 20, 'failed', 'cancelled'])
    const p = poolOf(metrics, 'gw')
    expect(p.keys.map((k) => k.key).sort()).toEqual(['anthropic', 'mistral', 'openai'])
    expect(p.keys.find((k) => k.key === 'openai')).toMatchObject({ completed: 2, failed: 0, rejected: 0, cancelled: 0, run: { count: 2, min: 10, max: 20 } })
    expect(p.keys.find((k) => k.key === 'anthropic')).toMatchObject({ completed: 0, failed: 1, cancelled: 1, run: { count: 1, max: 30 } })
    expect(p.keys.find((k) => k.key === 'mistral')).toMatchObject({ rejected: 1, completed: 0 })
    // The pool's own counts are as without a key function.
    expect(p.tasks).toMatchObject({ completed: 2, failed: 1, cancelled: 1, rejected: 1 })
    expect(p.untrackedKeyTasks).toBe(0)
    await pool.close()
  })

  it('exports the series under the label `key` with the provider as its value, in Prometheus and OpenTelemetry', async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock, key: provider })
    const pool = createPool({ handler: timed(clock), clock, concurrency: 2, observers: [metrics], name: 'gw' })
    const runs = [pool.run({ ms: 5 }, { key: 'tenant-a', labels: { provider: 'openai' } }), pool.run({ ms: 5 }, { key: 'tenant-b', labels: { provider: 'openai' } })]
    await clock.advance(5)
    await Promise.all(runs)
    const text = metrics.toPrometheus()
    expect(text).toContain('poolkit_key_tasks_total{pool="gw",key="openai",outcome="completed"} 2')
    expect(text).not.toContain('tenant-')

    const reader = new TestReader()
    bridgeOpenTelemetry(metrics, new MeterProvider({ readers: [reader] }).getMeter('poolkit-test'))
    const { resourceMetrics } = await reader.collect()
    const keyTasks = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === 'poolkit.key.tasks')
    if (keyTasks === undefined || keyTasks.dataPointType !== DataPointType.SUM) throw new Error('poolkit.key.tasks not collected as a sum')
    expect(keyTasks.dataPoints.map((d) => [d.attributes, d.value])).toContainEqual([{ pool: 'gw', key: 'openai', outcome: 'completed' }, 2])
    expect(keyTasks.dataPoints.every((d) => d.attributes.key === 'openai')).toBe(true)
    await pool.close()
  })

  it('tasks the function gives undefined count in their pool and in no key series, and are not untracked', async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock, key: provider })
    const pool = createPool({ handler: timed(clock), clock, concurrency: 2, observers: [metrics], name: 'gw' })
    const runs = [pool.run({ ms: 5 }, { key: 'tenant-a' }), pool.run({ ms: 5 })]
    await clock.advance(5)
    await Promise.all(runs)
    const p = poolOf(metrics, 'gw')
    expect(p.tasks.completed).toBe(2)
    expect(p.keys).toEqual([])
    expect(p.untrackedKeyTasks).toBe(0)
    await pool.close()
  })

  it('calls the function once per task, as it ends: a retried task once, a rejected task once', async () => {
    const clock = createVirtualClock()
    const seen: number[] = []
    const metrics = createMetrics({
      clock,
      key: (task) => {
        seen.push(task.id)
        return task.labels?.provider
      },
    })
    const pool = createPool({
      handler: timed(clock),
      clock,
      concurrency: 1,
      maxQueue: 1,
      observers: [metrics],
      name: 'gw',
      retry: { attempts: 3, backoff: { initialMs: 1, jitter: 0 } },
    })
    const retried = pool.run({ ms: 5, fail: true }, { labels: { provider: 'openai' } }).catch(() => 'failed')
    const queued = pool.run({ ms: 5 }, { labels: { provider: 'openai' } })
    await expect(pool.run({ ms: 5 }, { labels: { provider: 'openai' } })).rejects.toBeInstanceOf(QueueFullError)
    expect(seen).toHaveLength(1)
    for (let i = 0; i < 10; i++) await clock.advance(10)
    expect(await Promise.all([retried, queued])).toEqual(['failed', 5])
    expect(seen).toHaveLength(3)
    expect(new Set(seen).size).toBe(3)
    expect(poolOf(metrics, 'gw').keys).toMatchObject([{ key: 'openai', completed: 1, failed: 1, rejected: 1 }])
    await pool.close()
  })

  it('a function that returns a non-string or throws: the pool keeps its counts, no key series is made, and the pool hears a TypeError naming options.key', async () => {
    const clock = createVirtualClock()
    const boom = new Error('boom')
    const metrics = createMetrics({
      clock,
      key: (task) => {
        if (task.labels?.mode === 'throw') throw boom
        return 42 as never
      },
    })
    const pool = createPool({ handler: timed(clock), clock, concurrency: 2, observers: [metrics], name: 'gw' })
    const errors: unknown[] = []
    pool.on('error', (error) => void errors.push(error))
    const runs = [pool.run({ ms: 5 }), pool.run({ ms: 5 }, { labels: { mode: 'throw' } })]
    await clock.advance(5)
    await Promise.all(runs)
    const p = poolOf(metrics, 'gw')
    expect(p.tasks.completed).toBe(2)
    expect(p.keys).toEqual([])
    expect(errors).toHaveLength(2)
    expect(errors[0]).toBeInstanceOf(TypeError)
    expect((errors[0] as Error).message).toMatch(/^options\.key must return a string or undefined, got 42 for task \d+$/)
    expect(errors[1]).toBe(boom)
    await pool.close()
  })

  it('refuses a key option that is not a function with a TypeError naming options.key and the value', () => {
    expect(() => createMetrics({ key: 'provider' as never })).toThrow(new TypeError('options.key must be a function, got "provider"'))
    expect(() => createMetrics({ key: null as never })).toThrow(new TypeError('options.key must be a function, got null'))
    expect(() => createMetrics({ key: ['provider'] as never })).toThrow(new TypeError('options.key must be a function, got an array'))
    expect(() => createMetrics({ key: undefined })).not.toThrow()
  })
})
