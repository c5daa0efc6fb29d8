// The root README's composed pool (fair queue, a keyed circuit breaker that
// holds, a bulkhead, an adaptive limit, retries, metrics served over HTTP),
// fetching from a local server that fails every request (it drops each
// connection). 30 tasks with a timeout: every one must settle, pool.close() and
// both servers' close() must resolve, and the process must exit by itself.
import { createServer } from 'node:http'
import { createPool } from '@poolkit/core'
import { createFairQueue } from '@poolkit/queue'
import { combine, createBulkhead, createCircuitBreaker } from '@poolkit/breaker'
import { adaptiveLimit } from '@poolkit/scaler'
import { createMetrics } from '@poolkit/metrics'
import { serveMetrics } from '@poolkit/metrics/http'
import { mark, note, track } from '../harness.mjs'

// The provider: it drops every connection, so each fetch() rejects.
let requests = 0
const provider = createServer((req) => {
  note('requests', ++requests)
  req.socket.destroy()
})
await new Promise((resolve) => provider.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${provider.address().port}/`

// As in the README, but for the metrics port (0: any free one) and a shorter task timeout.
const metrics = createMetrics()
const pool = createPool({
  name: 'fetch',
  handler: async (url, { signal }) => (await fetch(url, { signal })).text(),
  queue: createFairQueue(),
  breaker: combine(createCircuitBreaker({ keyed: true, failureRateThreshold: 0.5, whenOpen: 'hold' }), createBulkhead({ defaultLimit: 8 })),
  scaler: adaptiveLimit({ min: 4, max: 64 }),
  retry: { attempts: 3 },
  observers: [metrics],
})
const server = await serveMetrics({ metrics, port: 0 })

const tasks = Array.from({ length: 30 }, (_, i) => track(`task#${i}`, pool.run(url, { key: '127.0.0.1', timeout: 500 })))
await Promise.all(tasks)
await track('pool.close', pool.close())
await track('server.close', server.close())
await track('provider.close', new Promise((resolve, reject) => provider.close((error) => (error ? reject(error) : resolve()))))
mark('closed')
