// Recipe 4 of docs/recipes.md: graceful shutdown on SIGTERM.
import { createServer } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { createPool, PoolClosedError, QueueFullError, type TaskContext } from '@poolkit/core'
import { createMetrics } from '@poolkit/metrics'
import { serveMetrics } from '@poolkit/metrics/http'

// Stands for your job: 200 ms of I/O that stops when its task is aborted.
async function render(name: string, { signal }: TaskContext): Promise<string> {
  await sleep(200, undefined, { signal })
  return `hello, ${name}\n`
}

const metrics = createMetrics()
const pool = createPool({ name: 'render', handler: render, concurrency: 4, maxQueue: 1_000, observers: [metrics] })
const metricsServer = await serveMetrics({ metrics, port: 0 })

const server = createServer(async (req, res) => {
  const name = new URL(req.url ?? '/', 'http://localhost').searchParams.get('name') ?? 'world'
  try {
    res.end(await pool.run(name))
  } catch (error) {
    // Closing or full: tell the load balancer to try another instance.
    res.statusCode = error instanceof PoolClosedError || error instanceof QueueFullError ? 503 : 500
    res.end(`${error}\n`)
  }
}).listen(Number(process.env.PORT ?? 8080))

process.once('SIGTERM', async () => {
  console.error('SIGTERM: draining')
  process.once('SIGTERM', () => void pool.destroy()) // a second SIGTERM: stop now
  server.close() // accept no new connection
  // Queued and running tasks finish; after 25 s the rest reject with PoolClosedError and are listed.
  const report = await pool.close({ timeout: 25_000 })
  console.error(`drained in ${Math.round(report.durationMs)} ms: ${report.settled} settled, ` +
    `${report.unstarted.length} never started, ${report.aborted.length} aborted`)
  server.closeIdleConnections() // keep-alive connections whose last response is written
  await metricsServer.close()
  // No timer, worker or socket of ours is left: the process exits by itself.
})
