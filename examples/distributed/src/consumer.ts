// One consumer machine: a thread pool with metrics, fed by a BullMQ queue through
// consume(). Started by main.ts as its own process (node dist/consumer.js); on
// SIGTERM it stops fetching, lets its running jobs finish, prints its metrics and
// exits by itself.
//   REDIS_URL=redis://127.0.0.1:6379 QUEUE=hashes CONSUMER=consumer-a node dist/consumer.js
import { consume, createQueueMetrics } from '@poolkit/bullmq'
import { createPool } from '@poolkit/core'
import { createMetrics } from '@poolkit/metrics'
import { threads } from '@poolkit/node-adapter'
import type { JobEnvelope } from '@poolkit/bullmq'
import type { HashResult } from './hash.worker.js'

const url = process.env.REDIS_URL
const queueName = process.env.QUEUE ?? 'hashes'
const name = process.env.CONSUMER ?? `consumer-${process.pid}`
const workers = Number(process.env.WORKERS ?? 2)
if (url === undefined) {
  console.error('consumer: set REDIS_URL (main.ts does)')
  process.exit(2)
}

const connection = { url }
const metrics = createMetrics()
const pool = createPool<JobEnvelope<string>, HashResult>({
  executor: threads(new URL('./hash.worker.js', import.meta.url), { workerData: { consumer: name } }),
  concurrency: workers,
  observers: [metrics],
  name,
})
// The queue's depth and stalled jobs, in the same Prometheus output as the pool's metrics.
const queueMetrics = createQueueMetrics(queueName, { connection, intervalMs: 500 })
metrics.addCollector(queueMetrics)
const consumer = await consume(queueName, { connection, pool, input: 'envelope' })
console.log(`${name}: consuming "${queueName}" on ${workers} threads (BullMQ concurrency ${consumer.concurrency})`)

process.once('SIGTERM', () => {
  void (async () => {
    const report = await consumer.close({ timeout: 10_000 })
    await pool.close()
    await queueMetrics.refresh().catch(() => {})
    const lines = metrics
      .toPrometheus()
      .split('\n')
      .filter((line) => /^poolkit_(tasks_total\{.*outcome="completed"|bullmq_jobs\{.*state="(waiting|active|failed)"|bullmq_stalled_jobs_total)/.test(line))
    await queueMetrics.close()
    console.log(`${name}: SIGTERM, closed in ${report.durationMs.toFixed(0)} ms after ${pool.stats().counters.completed} jobs (${report.handedBack.length} handed back)`)
    for (const line of lines) console.log(`${name}:   ${line}`)
  })()
})
