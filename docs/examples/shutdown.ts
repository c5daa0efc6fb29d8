// Recipe 4 of docs/recipes.md: graceful shutdown on SIGTERM.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
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

// Answers every error itself (a malformed URL included), so its promise never rejects.
async function respond(req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const name = new URL(req.url ?? '/', 'http://localhost').searchParams.get('name') ?? 'world'
    res.end(await pool.run(name))
  } catch (error) {
    // Closing or full: tell the load balancer to try another instance.
    res.statusCode = error instanceof PoolClosedError || error instanceof QueueFullError ? 503 : 500
    res.end(`${String(error)}\n`)
  }
}

const server = createServer((req, res) => void respond(req, res)).listen(Number(process.env.PORT ?? 8080))

async function shutdown(): Promise<void> {
  server.close() // accept no new connection
  // Queued and running tasks finish; after 25 s the rest reject with PoolClosedError and are listed.
  const report = await pool.close({ timeout: 25_000 })
  console.error(`drained in ${Math.round(report.durationMs)} ms: ${report.settled} settled, ` +
    `${report.unstarted.length} never started, ${report.aborted.length} aborted`)
  server.closeIdleConnections() // keep-alive connections whose last response is written
  await metricsServer.close()
  // No timer, worker or socket of ours is left: the process exits by itself.
}

process.once('SIGTERM', () => {
  console.error('SIGTERM: draining')
  process.once('SIGTERM', () => void pool.destroy()) // a second SIGTERM: stop now
  shutdown().catch((error: unknown) => {
    console.error('shutdown failed:', error)
    process.exit(1)
  })
})
