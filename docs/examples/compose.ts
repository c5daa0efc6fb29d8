// The composed pool of the root README, kept here so that it type-checks.
import { createPool } from '@poolkit/core'
import { createFairQueue } from '@poolkit/queue'
import { combine, createBulkhead, createCircuitBreaker } from '@poolkit/breaker'
import { adaptiveLimit } from '@poolkit/scaler'
import { createMetrics } from '@poolkit/metrics'
import { serveMetrics } from '@poolkit/metrics/http'

const metrics = createMetrics()
const pool = createPool({
  name: 'fetch',
  handler: async (url: string, { signal }) => (await fetch(url, { signal })).text(),
  queue: createFairQueue(), // takes turns between keys (hosts)
  breaker: combine(
    createCircuitBreaker({ keyed: true, failureRateThreshold: 0.5, whenOpen: 'hold' }), // a failing host waits aside
    createBulkhead({ defaultLimit: 8 }), // at most 8 calls per host at once
  ),
  scaler: adaptiveLimit({ min: 4, max: 64 }), // finds the concurrency from latency
  taskTimeout: 10_000, // per attempt, time held by the breaker included: a host that stays down fails fast
  retry: { attempts: 3 },
  observers: [metrics],
})
const server = await serveMetrics({ metrics }) // dashboard at http://127.0.0.1:9464/

const html = await pool.run('https://example.com/', { key: 'example.com' })
console.log(html.length, 'chars;', metrics.snapshot().pools[0]?.run.total.p99, 'ms p99')
await pool.close()
await server.close()
