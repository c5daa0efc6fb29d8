import { createPool } from '@poolkit/core'
import { createMetrics } from '@poolkit/metrics'
import { Queue, Worker } from 'bullmq'
import { describe, expect, it } from 'vitest'
import { BullmqConnectionError, createQueueMetrics } from '../src/index.js'
import type { QueueMetrics } from '../src/index.js'
import { freePort, useRedisServer } from './helpers/redis-server.js'
import { queueName, until } from './helpers/wait.js'

const { redis, cleanup } = useRedisServer()

function open(label: string): { queue: Queue; metrics: QueueMetrics } {
  const queue = new Queue(queueName(label), { connection: redis.connection })
  const metrics = createQueueMetrics(queue.name, { connection: redis.connection, intervalMs: 50 })
  cleanup.push(
    () => queue.close(),
    () => metrics.close(),
  )
  return { queue, metrics }
}

const family = (metrics: QueueMetrics, name: string) => metrics.collect().find((f) => f.name === name)!
const depth = (metrics: QueueMetrics, state: string): number | undefined => family(metrics, 'bullmq_jobs').samples.find((s) => s.labels?.state === state)?.value

describe('createQueueMetrics()', () => {
  it('reports the depth of every job state, labelled by queue, refreshed from Redis on its interval', async () => {
    const { queue, metrics } = open('depth')
    await metrics.ready()
    expect(depth(metrics, 'waiting')).toBe(0)
    await queue.addBulk([
      { name: 'a', data: 1 },
      { name: 'b', data: 2 },
      { name: 'c', data: 3, opts: { priority: 5 } },
      { name: 'd', data: 4, opts: { delay: 60_000 } },
    ])
    await until(() => depth(metrics, 'waiting') === 2, 'the next read sees the new jobs')
    const jobs = family(metrics, 'bullmq_jobs')
    expect(jobs).toMatchObject({ type: 'gauge' })
    expect(Object.fromEntries(jobs.samples.map((s) => [s.labels!.state, s.value]))).toEqual({ waiting: 2, prioritized: 1, delayed: 1, active: 0, completed: 0, failed: 0 })
    expect(jobs.samples.every((s) => s.labels!.queue === queue.name)).toBe(true)
    expect(family(metrics, 'bullmq_stalled_jobs_total')).toMatchObject({ type: 'counter', samples: [{ labels: { queue: queue.name }, value: 0 }] })
  })

  it("counts the queue's stalled jobs: a job whose consumer stopped renewing its lock", async () => {
    const { queue, metrics } = open('stalled')
    await metrics.ready()
    // A consumer that never finishes its job and does not renew the lock: BullMQ's stalled check takes the job back.
    const stuck = new Worker(queue.name, () => new Promise<never>(() => {}), {
      connection: redis.connection,
      skipLockRenewal: true,
      lockDuration: 200,
      stalledInterval: 100,
      maxStalledCount: 10,
    })
    cleanup.push(() => stuck.close(true))
    await queue.add('stuck', 1)
    await until(() => (family(metrics, 'bullmq_stalled_jobs_total').samples[0]?.value ?? 0) >= 1, 'a stall is counted')
  })

  it("appears in @poolkit/metrics' Prometheus output next to the pool's own metrics", async () => {
    const { queue, metrics: queueMetrics } = open('prometheus')
    await queueMetrics.ready()
    await queue.add('a', 1)
    await queueMetrics.refresh()
    const metrics = createMetrics({ collectors: [queueMetrics] })
    const pool = createPool<number, number>({ handler: (n) => n, observers: [metrics], name: 'images' })
    cleanup.push(() => pool.close())
    await pool.run(1)
    const text = metrics.toPrometheus()
    expect(text).toMatch(/^poolkit_tasks_total\{pool="images",outcome="completed"\} 1$/m)
    expect(text).toContain('# TYPE poolkit_bullmq_jobs gauge')
    expect(text).toContain(`poolkit_bullmq_jobs{queue="${queue.name}",state="waiting"} 1`)
    expect(text).toContain(`poolkit_bullmq_stalled_jobs_total{queue="${queue.name}"} 0`)
  })

  it('rejects ready() with BullmqConnectionError when Redis cannot be reached, and reports no depth', async () => {
    const port = await freePort()
    const metrics = createQueueMetrics('unreachable', { connection: { host: '127.0.0.1', port }, connectTimeout: 300 })
    cleanup.push(() => metrics.close())
    await expect(metrics.ready()).rejects.toBeInstanceOf(BullmqConnectionError)
    expect(family(metrics, 'bullmq_jobs').samples).toEqual([])
  })
})
