// Pool names and task keys are chosen by users (a tenant id, a queue name):
// names that are also Object.prototype's members, or that carry quotes, line
// feeds and markup, are series like any other in every reader and exporter.
import { DataPointType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { createPool, createVirtualClock } from '@poolkit/core'
import type { CollectedMetric } from '@poolkit/core'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { serveMetrics, type MetricsServer } from '../src/http.js'
import { bridgeOpenTelemetry, createMetrics, formatPrometheus } from '../src/index.js'
import { registerPromClient } from '../src/index.js'

const HOSTILE = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'a "quoted"\nname <script>alert(1)</script>\\']

class TestReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** One metrics object over a pool per hostile name, each with one task per hostile key. */
async function hostileMetrics() {
  const clock = createVirtualClock()
  const metrics = createMetrics({ clock })
  const pools = HOSTILE.map((name) => createPool({ name, clock, handler: async (n: number) => n, observers: [metrics] }))
  for (const pool of pools) for (const key of HOSTILE) await pool.run(1, { key })
  return { metrics, pools }
}

const servers: MetricsServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

describe('hostile pool names and task keys', () => {
  it('the snapshot has a pool per name, each with its keys, and its names survive a JSON round trip', async () => {
    const { metrics, pools } = await hostileMetrics()
    const snapshot = metrics.snapshot()
    expect(snapshot.pools.map((p) => p.pool)).toEqual(HOSTILE)
    for (const p of snapshot.pools) {
      expect(p.tasks.completed).toBe(HOSTILE.length)
      expect(p.keys.map((k) => k.key).sort()).toEqual([...HOSTILE].sort())
      expect(p.keys.every((k) => k.completed === 1)).toBe(true)
    }
    const parsed = JSON.parse(JSON.stringify(snapshot)) as typeof snapshot
    expect(parsed.pools.map((p) => [p.pool, p.keys.map((k) => k.key)])).toEqual(snapshot.pools.map((p) => [p.pool, p.keys.map((k) => k.key)]))
    for (const name of HOSTILE) expect(metrics.histogram('run', name).count).toBe(HOSTILE.length)
    expect(() => metrics.histogram('run', 'isPrototypeOf')).toThrow(RangeError)
    expect(metrics.removePool('__proto__')).toBe(true)
    expect(metrics.removePool('isPrototypeOf')).toBe(false)
    expect(metrics.snapshot().pools.map((p) => p.pool)).toEqual(HOSTILE.slice(1))
    await Promise.all(pools.map((p) => p.close()))
  })

  it('the Prometheus text has a series per name and key, escaped, that a parser reads back', async () => {
    const { metrics, pools } = await hostileMetrics()
    const text = metrics.toPrometheus()
    const parsed = parsePrometheusTextFormat(text)
    const queue = parsed.find((f) => f.name === 'poolkit_queue_depth')!
    expect(queue.metrics.map((m) => m.labels!.pool)).toEqual(HOSTILE)
    const keys = parsed.find((f) => f.name === 'poolkit_key_tasks_total')!
    const completed = keys.metrics.filter((m) => m.labels!.outcome === 'completed')
    expect(completed).toHaveLength(HOSTILE.length * HOSTILE.length)
    expect(new Set(completed.map((m) => `${m.labels!.pool}|${m.labels!.key}`)).size).toBe(HOSTILE.length * HOSTILE.length)
    // One line per sample: the line feed and quotes are escaped.
    expect(text).toContain('pool="a \\"quoted\\"\\nname <script>alert(1)</script>\\\\"')
    await Promise.all(pools.map((p) => p.close()))
  })

  it('prom-client and OpenTelemetry report every name and key', async () => {
    const { metrics, pools } = await hostileMetrics()
    const registry = new Registry()
    registerPromClient(metrics, registry)
    const json = await registry.getMetricsAsJSON()
    const depth = json.find((m) => m.name === 'poolkit_queue_depth')!
    expect(depth.values.map((v) => v.labels.pool)).toEqual(HOSTILE)

    const reader = new TestReader()
    const meter = new MeterProvider({ readers: [reader] }).getMeter('hostile')
    bridgeOpenTelemetry(metrics, meter)
    const { resourceMetrics, errors } = await reader.collect()
    expect(errors).toEqual([])
    const all = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics)
    const queue = all.find((m) => m.descriptor.name === 'poolkit.queue.depth')!
    expect(queue.dataPointType).toBe(DataPointType.SUM)
    expect(queue.dataPoints.map((p) => p.attributes.pool)).toEqual(HOSTILE)
    const keyTasks = all.find((m) => m.descriptor.name === 'poolkit.key.tasks')!
    expect(keyTasks.dataPoints.filter((p) => p.attributes.outcome === 'completed')).toHaveLength(HOSTILE.length * HOSTILE.length)
    await Promise.all(pools.map((p) => p.close()))
  })

  it("collectors' families and labels named like Object.prototype's members merge by name like any other", () => {
    const family = (name: string, labels: Record<string, string>, value: number): CollectedMetric => ({ name, help: name, type: 'gauge', samples: [{ labels, value }] })
    const labels = JSON.parse('{"constructor":"a","toString":"b","hasOwnProperty":"c"}') as Record<string, string>
    const metrics = createMetrics({
      collectors: [{ collect: () => [family('constructor', labels, 1), family('toString', {}, 2)] }, { collect: () => [family('constructor', { valueOf: 'x' }, 3)] }],
    })
    const collected = metrics.snapshot().collected!
    expect(collected.map((f) => [f.name, f.samples.length])).toEqual([
      ['constructor', 2],
      ['toString', 1],
    ])
    const text = formatPrometheus(metrics.snapshot())
    expect(text).toContain('poolkit_constructor{constructor="a",toString="b",hasOwnProperty="c"} 1')
    expect(text).toContain('poolkit_constructor{valueOf="x"} 3')
  })

  it('/health and /metrics.json of serveMetrics report every name', async () => {
    const { metrics, pools } = await hostileMetrics()
    const server = await serveMetrics({ metrics, port: 0 })
    servers.push(server)
    const health = (await (await fetch(`${server.url}/health`)).json()) as { status: string; pools: { pool: string; ok: boolean }[] }
    expect(health.pools.map((p) => p.pool)).toEqual(HOSTILE)
    const json = (await (await fetch(`${server.url}/metrics.json`)).json()) as { pools: { pool: string }[] }
    expect(json.pools.map((p) => p.pool)).toEqual(HOSTILE)
    await Promise.all(pools.map((p) => p.close()))
  })
})
