import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { Counter, Registry, openMetricsContentType } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { formatPrometheus, registerPromClient } from '../src/index.js'
import type { MetricsSnapshot } from '../src/index.js'
import { poolMetrics, snapshotOf } from './snapshot-fixture.js'

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

/** Non-empty lines of exposition text. */
const linesOf = (text: string): string[] => text.split('\n').filter((line) => line !== '')

describe('registerPromClient', () => {
  it("serves from registry.metrics() exactly the lines formatPrometheus writes for the source's snapshot", async () => {
    const snapshot = snapshotOf(poolMetrics('api'), poolMetrics('a"b\\c\nd', { queueDepth: 2 }))
    const registry = new Registry()
    registerPromClient(sourceOf(snapshot), registry)
    const text = await registry.metrics()
    expect(linesOf(text)).toEqual(linesOf(formatPrometheus(snapshot)))
    const parsed = parsePrometheusTextFormat(text)
    expect(parsed.find((f) => f.name === 'poolkit_tasks_total')?.type).toBe('COUNTER')
    expect(parsed.find((f) => f.name === 'poolkit_task_wait_seconds')?.type).toBe('HISTOGRAM')
    expect(parsed.find((f) => f.name === 'poolkit_queue_depth')?.metrics).toEqual([
      { labels: { pool: 'api' }, value: '31' },
      { labels: { pool: 'a"b\\c\nd' }, value: '2' },
    ])
  })

  it("sits next to the application's own metrics in one registry", async () => {
    const registry = new Registry()
    const requests = new Counter({ name: 'http_requests_total', help: 'Requests.', registers: [registry] })
    requests.inc(5)
    registerPromClient(sourceOf(snapshotOf(poolMetrics('api'))), registry)
    const text = await registry.metrics()
    expect(text).toContain('http_requests_total 5\n')
    expect(text).toContain('poolkit_tasks_submitted_total{pool="api"} 100\n')
  })

  it('reads one snapshot per scrape, shared by every family, and a fresh one for the next scrape', async () => {
    const source = sourceOf(snapshotOf(poolMetrics('api')))
    const registry = new Registry()
    registerPromClient(source, registry)
    // One read at registration, for the names of the collectors' families.
    expect(source.reads).toBe(1)
    await registry.metrics()
    expect(source.reads).toBe(2)
    source.current = snapshotOf(poolMetrics('api', { queueDepth: 7 }))
    expect(await registry.metrics()).toContain('poolkit_queue_depth{pool="api"} 7\n')
    expect(source.reads).toBe(3)
    await registry.getMetricsAsJSON()
    expect(source.reads).toBe(4)
  })

  it('gives getMetricsAsJSON the families with their types, labels and values', async () => {
    const registry = new Registry()
    registerPromClient(sourceOf(snapshotOf(poolMetrics('api'))), registry)
    const json = await registry.getMetricsAsJSON()
    expect(json.map((m) => m.name)).toContain('poolkit_tasks_rejected_total')
    const depth = json.find((m) => m.name === 'poolkit_queue_depth')
    expect(depth).toMatchObject({ type: 'gauge', help: 'Tasks waiting in the queue now.', values: [{ value: 31, labels: { pool: 'api' } }] })
    const wait = json.find((m) => m.name === 'poolkit_task_wait_seconds')
    expect(wait?.type).toBe('histogram')
    expect(wait?.values).toContainEqual({ value: 70, labels: { pool: 'api', le: '+Inf' }, metricName: 'poolkit_task_wait_seconds_bucket' })
    expect(wait?.values).toContainEqual({ value: 1.2345, labels: { pool: 'api' }, metricName: 'poolkit_task_wait_seconds_sum' })
    expect(wait?.values).toContainEqual({ value: 70, labels: { pool: 'api' }, metricName: 'poolkit_task_wait_seconds_count' })
  })

  it('removes its collectors when unregistered, leaving the rest of the registry', async () => {
    const registry = new Registry()
    new Counter({ name: 'app_jobs_total', help: 'Jobs.', registers: [registry] })
    const unregister = registerPromClient(sourceOf(snapshotOf(poolMetrics('api'))), registry)
    expect(registry.getMetricsAsArray().length).toBeGreaterThan(1)
    unregister()
    expect(registry.getMetricsAsArray().map((m) => m.name)).toEqual(['app_jobs_total'])
    expect(await registry.metrics()).not.toContain('poolkit')
    expect(() => unregister()).not.toThrow()
  })

  it('leaves alone a metric registered later under one of its names', () => {
    const registry = new Registry()
    const unregister = registerPromClient(sourceOf(snapshotOf()), registry)
    registry.removeSingleMetric('poolkit_queue_depth')
    const mine = new Counter({ name: 'poolkit_queue_depth', help: 'Not poolkit.', registers: [registry] })
    unregister()
    expect(registry.getSingleMetric('poolkit_queue_depth')).toBe(mine)
  })

  it('lets two sources with different prefixes share one registry', async () => {
    const registry = new Registry()
    registerPromClient(sourceOf(snapshotOf(poolMetrics('api'))), registry)
    const unregisterJobs = registerPromClient(sourceOf(snapshotOf(poolMetrics('jobs', { queueDepth: 4 }))), registry, { prefix: 'jobs' })
    const text = await registry.metrics()
    expect(text).toContain('poolkit_queue_depth{pool="api"} 31\n')
    expect(text).toContain('jobs_queue_depth{pool="jobs"} 4\n')
    unregisterJobs()
    expect(await registry.metrics()).not.toContain('jobs_')
  })

  it("throws prom-client's error on a name clash and leaves none of its collectors registered", () => {
    const registry = new Registry()
    new Counter({ name: 'poolkit_queue_depth', help: 'Taken.', registers: [registry] })
    expect(() => registerPromClient(sourceOf(snapshotOf()), registry)).toThrow('A metric with the name poolkit_queue_depth has already been registered.')
    expect(registry.getMetricsAsArray().map((m) => m.name)).toEqual(['poolkit_queue_depth'])
    expect(() => registerPromClient(sourceOf(snapshotOf()), registry, { prefix: 'other' })).not.toThrow()
  })

  it('writes counters the OpenMetrics way in an OpenMetrics registry and still unregisters', async () => {
    // prom-client 15 types the constructor without its content-type argument; setContentType is typed.
    const registry = new Registry<typeof openMetricsContentType>()
    registry.setContentType(openMetricsContentType)
    const unregister = registerPromClient(sourceOf(snapshotOf(poolMetrics('api'))), registry)
    const text = await registry.metrics()
    expect(text).toContain('# TYPE poolkit_tasks counter\n')
    expect(text).toContain('poolkit_tasks_total{pool="api",outcome="completed"} 70\n')
    expect(text).toContain('poolkit_task_run_seconds_bucket{pool="api",le="0.0011"} 2\n')
    expect(text.endsWith('# EOF\n')).toBe(true)
    unregister()
    expect(registry.getMetricsAsArray()).toEqual([])
  })

  it('keeps its series through registry.resetMetrics(), which belong to the source', async () => {
    const registry = new Registry()
    registerPromClient(sourceOf(snapshotOf(poolMetrics('api'))), registry)
    registry.resetMetrics()
    expect(await registry.metrics()).toContain('poolkit_tasks_submitted_total{pool="api"} 100\n')
  })

  it('rejects the scrape with the error snapshot() throws', async () => {
    const registry = new Registry()
    const boom = new Error('snapshot failed')
    registerPromClient(
      {
        snapshot() {
          throw boom
        },
      },
      registry,
    )
    await expect(registry.metrics()).rejects.toBe(boom)
  })

  it('rejects an invalid prefix before registering anything', () => {
    const registry = new Registry()
    expect(() => registerPromClient(sourceOf(snapshotOf()), registry, { prefix: 'bad-name' })).toThrow(/^options\.prefix must be .*, got "bad-name"$/)
    expect(registry.getMetricsAsArray()).toEqual([])
  })
})
