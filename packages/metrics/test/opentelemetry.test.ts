import { readFileSync } from 'node:fs'
import { metrics as otelApi } from '@opentelemetry/api'
import { DataPointType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import type { MetricData } from '@opentelemetry/sdk-metrics'
import { describe, expect, it } from 'vitest'
import { bridgeOpenTelemetry } from '../src/index.js'
import type { MetricsSnapshot } from '../src/index.js'
import { poolMetrics, snapshotOf } from './snapshot-fixture.js'

/** A reader that collects when asked (cumulative temporality, the SDK default). */
class TestReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** A source whose snapshot can be swapped, counting its reads. */
function sourceOf(snapshot: MetricsSnapshot) {
  const source = {
    current: snapshot,
    reads: 0,
    snapshot(): MetricsSnapshot {
      source.reads++
      return source.current
    },
  }
  return source
}

/** A meter on a fresh provider, and a function that collects its metrics by name. */
function setup() {
  const reader = new TestReader()
  const provider = new MeterProvider({ readers: [reader] })
  const meter = provider.getMeter('poolkit-test')
  const collect = async (): Promise<Map<string, MetricData>> => {
    const { resourceMetrics, errors } = await reader.collect()
    expect(errors).toEqual([])
    return new Map(resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).map((m) => [m.descriptor.name, m]))
  }
  return { meter, collect }
}

/** Data points of a number instrument as `[attributes, value]`. */
function points(metric: MetricData | undefined): [Record<string, unknown>, number][] {
  if (metric === undefined) throw new Error('metric not collected')
  if (metric.dataPointType !== DataPointType.SUM && metric.dataPointType !== DataPointType.GAUGE) throw new Error('not a number metric')
  return metric.dataPoints.map((p) => [p.attributes, p.value])
}

describe('bridgeOpenTelemetry', () => {
  it('creates each instrument with its kind, unit and description', async () => {
    const { meter, collect } = setup()
    bridgeOpenTelemetry(sourceOf(snapshotOf(poolMetrics('api'))), meter)
    const metrics = await collect()
    const kinds = Object.fromEntries(
      [...metrics.values()].map((m) => [
        m.descriptor.name,
        `${m.dataPointType === DataPointType.GAUGE ? 'gauge' : m.dataPointType === DataPointType.SUM && m.isMonotonic ? 'counter' : 'updown'} ${m.descriptor.unit}`,
      ]),
    )
    expect(kinds).toEqual({
      'poolkit.task.submitted': 'counter {task}',
      'poolkit.task.started': 'counter {task}',
      'poolkit.tasks': 'counter {task}',
      'poolkit.task.rejected': 'counter {task}',
      'poolkit.workers': 'updown {worker}',
      'poolkit.worker.starts': 'counter {worker}',
      'poolkit.worker.crashes': 'counter {worker}',
      'poolkit.worker.restarts': 'counter {worker}',
      'poolkit.worker.event_loop.utilization': 'gauge 1',
      'poolkit.queue.depth': 'updown {task}',
      'poolkit.task.running': 'updown {task}',
      'poolkit.utilization': 'gauge 1',
      'poolkit.task.wait.duration': 'gauge s',
      'poolkit.task.wait.duration.count': 'counter {task}',
      'poolkit.task.wait.duration.sum': 'counter s',
      'poolkit.task.run.duration': 'gauge s',
      'poolkit.task.run.duration.count': 'counter {task}',
      'poolkit.task.run.duration.sum': 'counter s',
      'poolkit.throughput': 'gauge {task}/s',
      'poolkit.error_ratio': 'gauge 1',
      'poolkit.key.tasks': 'counter {task}',
      'poolkit.key.untracked_tasks': 'counter {task}',
    })
    expect(metrics.get('poolkit.queue.depth')?.descriptor.description).toBe('Tasks waiting in the queue now.')
  })

  it('observes task counts with pool and outcome or reason attributes', async () => {
    const { meter, collect } = setup()
    bridgeOpenTelemetry(sourceOf(snapshotOf(poolMetrics('api'))), meter)
    const metrics = await collect()
    expect(points(metrics.get('poolkit.task.submitted'))).toEqual([[{ pool: 'api' }, 100]])
    expect(points(metrics.get('poolkit.task.started'))).toEqual([[{ pool: 'api' }, 90]])
    expect(points(metrics.get('poolkit.tasks'))).toEqual([
      [{ pool: 'api', outcome: 'completed' }, 70],
      [{ pool: 'api', outcome: 'failed' }, 8],
      [{ pool: 'api', outcome: 'rejected' }, 15],
      [{ pool: 'api', outcome: 'cancelled' }, 6],
      [{ pool: 'api', outcome: 'timed_out' }, 7],
      [{ pool: 'api', outcome: 'retried' }, 9],
      [{ pool: 'api', outcome: 'dead_lettered' }, 10],
    ])
    expect(points(metrics.get('poolkit.task.rejected'))).toEqual([
      [{ pool: 'api', reason: 'queue_full' }, 1],
      [{ pool: 'api', reason: 'dropped' }, 2],
      [{ pool: 'api', reason: 'closed' }, 3],
      [{ pool: 'api', reason: 'circuit_open' }, 4],
      [{ pool: 'api', reason: 'no_workers' }, 5],
      [{ pool: 'api', reason: 'unplaceable' }, 6],
    ])
  })

  it('observes workers by state, worker counters and each worker’s event-loop utilization', async () => {
    const { meter, collect } = setup()
    bridgeOpenTelemetry(sourceOf(snapshotOf(poolMetrics('api'))), meter)
    const metrics = await collect()
    expect(points(metrics.get('poolkit.workers'))).toEqual([
      [{ pool: 'api', state: 'busy' }, 3],
      [{ pool: 'api', state: 'idle' }, 2],
      [{ pool: 'api', state: 'starting' }, 1],
    ])
    expect(points(metrics.get('poolkit.worker.starts'))).toEqual([[{ pool: 'api' }, 21]])
    expect(points(metrics.get('poolkit.worker.crashes'))).toEqual([[{ pool: 'api' }, 22]])
    expect(points(metrics.get('poolkit.worker.restarts'))).toEqual([[{ pool: 'api' }, 23]])
    expect(points(metrics.get('poolkit.worker.event_loop.utilization'))).toEqual([
      [{ pool: 'api', worker: 1 }, 0.25],
      [{ pool: 'api', worker: 2 }, 0.75],
    ])
  })

  it('observes queue depth, running tasks, utilization, throughput and error ratio per window', async () => {
    const { meter, collect } = setup()
    bridgeOpenTelemetry(sourceOf(snapshotOf(poolMetrics('api'))), meter)
    const metrics = await collect()
    expect(points(metrics.get('poolkit.queue.depth'))).toEqual([[{ pool: 'api' }, 31]])
    expect(points(metrics.get('poolkit.task.running'))).toEqual([[{ pool: 'api' }, 3]])
    expect(points(metrics.get('poolkit.utilization'))).toEqual([[{ pool: 'api' }, 0.5]])
    expect(points(metrics.get('poolkit.throughput'))).toEqual([
      [{ pool: 'api', window: '1s' }, 4],
      [{ pool: 'api', window: '10s' }, 3.5],
      [{ pool: 'api', window: '60s' }, 2.25],
    ])
    expect(points(metrics.get('poolkit.error_ratio'))).toEqual([
      [{ pool: 'api', window: '1s' }, 0],
      [{ pool: 'api', window: '10s' }, 0.125],
      [{ pool: 'api', window: '60s' }, 0.2],
    ])
  })

  it('reports durations in seconds: recent percentiles as a gauge, total count and sum as counters', async () => {
    const { meter, collect } = setup()
    const pool = poolMetrics('api')
    bridgeOpenTelemetry(sourceOf(snapshotOf({ ...pool, run: { ...pool.run, recent: { ...pool.run.recent, p50: 20, p90: 80, p99: 150, max: 300 } } })), meter)
    const metrics = await collect()
    expect(points(metrics.get('poolkit.task.wait.duration'))).toEqual([
      [{ pool: 'api', quantile: 0.5 }, 0.01],
      [{ pool: 'api', quantile: 0.9 }, 0.04],
      [{ pool: 'api', quantile: 0.99 }, 0.12],
      [{ pool: 'api', quantile: 1 }, 0.25],
    ])
    expect(points(metrics.get('poolkit.task.run.duration'))).toEqual([
      [{ pool: 'api', quantile: 0.5 }, 0.02],
      [{ pool: 'api', quantile: 0.9 }, 0.08],
      [{ pool: 'api', quantile: 0.99 }, 0.15],
      [{ pool: 'api', quantile: 1 }, 0.3],
    ])
    expect(points(metrics.get('poolkit.task.wait.duration.count'))).toEqual([[{ pool: 'api' }, 70]])
    expect(points(metrics.get('poolkit.task.wait.duration.sum'))).toEqual([[{ pool: 'api' }, 1.2345]])
    expect(points(metrics.get('poolkit.task.run.duration.count'))).toEqual([[{ pool: 'api' }, 78]])
    expect(points(metrics.get('poolkit.task.run.duration.sum'))).toEqual([[{ pool: 'api' }, 98.765]])
  })

  it('observes per-key tasks by outcome and untracked key tasks', async () => {
    const { meter, collect } = setup()
    bridgeOpenTelemetry(sourceOf(snapshotOf(poolMetrics('api'))), meter)
    const metrics = await collect()
    const keyTasks = points(metrics.get('poolkit.key.tasks'))
    expect(keyTasks).toHaveLength(10)
    expect(keyTasks).toContainEqual([{ pool: 'api', key: 'tenant-a', outcome: 'timed_out' }, 15])
    expect(keyTasks).toContainEqual([{ pool: 'api', key: 'tenant-b', outcome: 'completed' }, 41])
    expect(points(metrics.get('poolkit.key.untracked_tasks'))).toEqual([[{ pool: 'api' }, 17]])
  })

  it('keeps pools apart by their pool attribute', async () => {
    const { meter, collect } = setup()
    bridgeOpenTelemetry(sourceOf(snapshotOf(poolMetrics('api'), poolMetrics('batch', { queueDepth: 99 }))), meter)
    expect(points((await collect()).get('poolkit.queue.depth'))).toEqual([
      [{ pool: 'api' }, 31],
      [{ pool: 'batch' }, 99],
    ])
  })

  it('reads one snapshot per collection and follows the source between collections', async () => {
    const { meter, collect } = setup()
    const source = sourceOf(snapshotOf(poolMetrics('api')))
    bridgeOpenTelemetry(source, meter)
    expect(source.reads).toBe(0)
    await collect()
    expect(source.reads).toBe(1)
    source.current = snapshotOf(poolMetrics('api', { queueDepth: 5, tasks: { ...poolMetrics('api').tasks, submitted: 250 } }))
    const metrics = await collect()
    expect(source.reads).toBe(2)
    expect(points(metrics.get('poolkit.queue.depth'))).toEqual([[{ pool: 'api' }, 5]])
    expect(points(metrics.get('poolkit.task.submitted'))).toEqual([[{ pool: 'api' }, 250]])
  })

  it('stops observing once the returned function is called', async () => {
    const { meter, collect } = setup()
    const source = sourceOf(snapshotOf(poolMetrics('api')))
    const stop = bridgeOpenTelemetry(source, meter)
    await collect()
    stop()
    stop()
    source.current = snapshotOf(poolMetrics('api', { queueDepth: 5 }))
    const metrics = await collect()
    expect(source.reads).toBe(1)
    const depth = metrics.get('poolkit.queue.depth')
    expect(depth === undefined || points(depth).every(([, v]) => v !== 5)).toBe(true)
  })

  it("accepts @opentelemetry/api's global meter, which without an SDK never collects", () => {
    const source = sourceOf(snapshotOf(poolMetrics('api')))
    const stop = bridgeOpenTelemetry(source, otelApi.getMeter('poolkit-test'))
    stop()
    expect(source.reads).toBe(0)
  })

  it('starts every instrument name with options.prefix', async () => {
    const { meter, collect } = setup()
    bridgeOpenTelemetry(sourceOf(snapshotOf(poolMetrics('api'))), meter, { prefix: 'app.jobs' })
    const names = [...(await collect()).keys()]
    expect(names).toContain('app.jobs.tasks')
    expect(names).toContain('app.jobs.task.wait.duration')
    expect(names.every((n) => n.startsWith('app.jobs.'))).toBe(true)
  })

  it('rejects an invalid prefix, naming the option and the value, before creating anything', async () => {
    const { meter, collect } = setup()
    const source = sourceOf(snapshotOf(poolMetrics('api')))
    expect(() => bridgeOpenTelemetry(source, meter, { prefix: 'a..b' })).toThrow(/^options\.prefix must be an OpenTelemetry instrument name prefix .*, got "a\.\.b"$/)
    expect(() => bridgeOpenTelemetry(source, meter, { prefix: '9lives' })).toThrow(TypeError)
    expect(() => bridgeOpenTelemetry(source, meter, 3 as never)).toThrow('options must be an object, got 3')
    expect((await collect()).size).toBe(0)
  })

  it('imports neither @opentelemetry/api nor prom-client, so users without them load nothing', () => {
    for (const file of ['opentelemetry.ts', 'prom-client.ts', 'prometheus.ts']) {
      // Without comments: the TSDoc examples import them, as users do.
      const code = readFileSync(new URL(`../src/${file}`, import.meta.url), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '')
      expect(code, file).toMatch(/^import /m)
      expect(code, file).not.toMatch(/(from|import|require)\s*\(?\s*['"](@opentelemetry\/|prom-client)/)
    }
  })
})
