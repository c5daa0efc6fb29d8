import { createPool, createVirtualClock } from '@poolkit/core'
import type { CollectedMetric, MetricsCollector } from '@poolkit/core'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { createMetrics, formatPrometheus, registerPromClient } from '../src/index.js'

/** A collector reporting what `families` holds when it is read, counting its reads. */
function collectorOf(families: () => CollectedMetric[]) {
  const collector = {
    reads: 0,
    collect(): CollectedMetric[] {
      collector.reads++
      return families()
    },
  }
  return collector
}

const resourceSize = (pool: string, value: number): CollectedMetric => ({
  name: 'resource_size',
  help: 'Resources in the pool.',
  type: 'gauge',
  samples: [{ labels: { pool }, value }],
})

describe('metrics collectors', () => {
  it('puts the families of options.collectors in snapshot().collected and the Prometheus output, prefixed', () => {
    let size = 3
    const collector = collectorOf(() => [
      resourceSize('http', size),
      { name: 'resource_acquires_total', help: 'Leases handed out.', type: 'counter', samples: [{ labels: { pool: 'http' }, value: 10 }] },
    ])
    const metrics = createMetrics({ collectors: [collector] })
    expect(metrics.snapshot().collected).toEqual([resourceSize('http', 3), expect.objectContaining({ name: 'resource_acquires_total' })])
    size = 5
    const text = metrics.toPrometheus()
    expect(text).toContain('# HELP poolkit_resource_size Resources in the pool.\n# TYPE poolkit_resource_size gauge\npoolkit_resource_size{pool="http"} 5\n')
    expect(text).toContain('# TYPE poolkit_resource_acquires_total counter\npoolkit_resource_acquires_total{pool="http"} 10\n')
    expect(metrics.toPrometheus({ prefix: 'app' })).toContain('app_resource_size{pool="http"} 5')
    // Each read of the metrics reads the collector afresh.
    expect(collector.reads).toBe(3)
  })

  it('merges the families of the same name from several collectors into one family with all their samples', () => {
    const metrics = createMetrics({ collectors: [collectorOf(() => [resourceSize('a', 1)]), collectorOf(() => [resourceSize('b', 2)])] })
    expect(metrics.snapshot().collected).toEqual([
      {
        name: 'resource_size',
        help: 'Resources in the pool.',
        type: 'gauge',
        samples: [
          { labels: { pool: 'a' }, value: 1 },
          { labels: { pool: 'b' }, value: 2 },
        ],
      },
    ])
    const text = metrics.toPrometheus()
    expect(text.match(/# TYPE poolkit_resource_size /g)).toHaveLength(1)
    const parsed = parsePrometheusTextFormat(text).find((f) => f.name === 'poolkit_resource_size')!
    expect(parsed.metrics).toEqual([
      { labels: { pool: 'a' }, value: '1' },
      { labels: { pool: 'b' }, value: '2' },
    ])
  })

  it('addCollector adds a collector next to a pool, and the function it returns removes it', async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock })
    const pool = createPool({ name: 'jobs', handler: async (n: number) => n, clock, observers: [metrics] })
    await pool.run(1)
    expect(metrics.snapshot().collected).toBeUndefined()
    const remove = metrics.addCollector(collectorOf(() => [resourceSize('http', 4)]))
    const text = metrics.toPrometheus()
    expect(text).toContain('poolkit_tasks_total{pool="jobs",outcome="completed"} 1')
    expect(text).toContain('poolkit_resource_size{pool="http"} 4')
    // The pools' families come first, the collectors' after them.
    expect(text.indexOf('poolkit_untracked_key_tasks_total')).toBeLessThan(text.indexOf('poolkit_resource_size'))
    remove()
    expect(metrics.toPrometheus()).not.toContain('resource_size')
    await pool.close()
  })

  it('writes what formatPrometheus writes for the same snapshot, and a family without labels as a bare sample', () => {
    const metrics = createMetrics({ collectors: [collectorOf(() => [{ name: 'queue_stalled_total', help: 'Stalled jobs.', type: 'counter', samples: [{ value: 2 }] }])] })
    const snapshot = metrics.snapshot()
    expect(formatPrometheus(snapshot)).toBe(metrics.toPrometheus())
    expect(formatPrometheus(snapshot)).toContain('\npoolkit_queue_stalled_total 2\n')
  })

  it('registerPromClient serves the collected families present when it registered', async () => {
    const metrics = createMetrics({ collectors: [collectorOf(() => [resourceSize('http', 7)])] })
    const registry = new Registry()
    registerPromClient(metrics, registry)
    const text = await registry.metrics()
    expect(text).toContain('# TYPE poolkit_resource_size gauge\npoolkit_resource_size{pool="http"} 7')
  })

  it.each([
    [{ name: 'bad-name', help: '', type: 'gauge', samples: [] }, /name must be letters, digits and underscores.*"bad-name"/],
    [{ name: 'x', help: '', type: 'histogram', samples: [] }, /"x": type must be 'counter' or 'gauge', got "histogram"/],
    [{ name: 'x', help: '', type: 'gauge', samples: [{ value: '1' }] }, /"x": a sample's value must be a number, got "1"/],
    [{ name: 'x', help: '', type: 'gauge', samples: [{ labels: { 'a-b': 'v' }, value: 1 }] }, /"x": label name "a-b" is not valid/],
  ])('a malformed collected family fails the read with a TypeError naming it (%o)', (family, message) => {
    const metrics = createMetrics({ collectors: [collectorOf(() => [family as unknown as CollectedMetric])] })
    expect(() => metrics.snapshot()).toThrow(TypeError)
    expect(() => metrics.snapshot()).toThrow(message)
  })

  it('refuses a family name reported as two types', () => {
    const metrics = createMetrics({
      collectors: [collectorOf(() => [resourceSize('a', 1)]), collectorOf(() => [{ ...resourceSize('b', 1), type: 'counter' }])],
    })
    expect(() => metrics.toPrometheus()).toThrow('collected metric "resource_size" is reported as both a gauge and a counter')
  })

  it('validates options.collectors and addCollector(), naming the option and the value', () => {
    expect(() => createMetrics({ collectors: {} as never })).toThrow('options.collectors must be an array of MetricsCollector, got an object')
    expect(() => createMetrics({ collectors: [{}] as never })).toThrow('options.collectors[0] must be a MetricsCollector (an object with collect()), got an object')
    expect(() => createMetrics().addCollector(null as unknown as MetricsCollector)).toThrow(TypeError)
  })
})
