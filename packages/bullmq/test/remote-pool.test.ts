import { createPool, PoolClosedError, Priority, TaskTimeoutError } from '@poolkit/core'
import type { Pool } from '@poolkit/core'
import { Queue } from 'bullmq'
import { describe, expect, it } from 'vitest'
import { BullmqConnectionError, consume, createRemotePool, RemoteJobError } from '../src/index.js'
import type { ConsumeOptions, JobEnvelope, RemotePool } from '../src/index.js'
import { freePort, useRedisServer } from './helpers/redis-server.js'
import { deferred, queueName, until } from './helpers/wait.js'

const { redis, cleanup } = useRedisServer()

function remote<I, O>(label: string, options: { jobOptions?: object } = {}): RemotePool<I, O> {
  const pool = createRemotePool<I, O>({ queueName: queueName(label), connection: redis.connection, ...options })
  cleanup.push(() => pool.close({ timeout: 0 }))
  return pool
}

async function serve<I, O>(queue: string, pool: Pool<I, O>, options: Partial<ConsumeOptions<I, O>> = {}): Promise<void> {
  cleanup.push(() => pool.close())
  const consumer = await consume<I, O>(queue, { connection: redis.connection, pool, ...options })
  cleanup.push(() => consumer.close({ timeout: 500 }))
}

function inspect(name: string): Queue {
  const queue = new Queue(name, { connection: redis.connection })
  cleanup.push(() => queue.close())
  return queue
}

describe('createRemotePool(): run() as on a local pool', () => {
  it('adds a job and resolves with the value a consumer returned; the same call works on a local pool', async () => {
    const handler = (text: string): string => text.split('').reverse().join('')
    const local = createPool<string, string>({ handler })
    const pool = remote<string, string>('run')
    await serve(pool.name, createPool<string, string>({ handler }))
    for (const p of [local, pool]) {
      expect(await p.run('poolkit', { name: 'reverse' })).toBe('tikloop')
    }
    await local.close()
    expect(await Promise.all(Array.from({ length: 50 }, (_, i) => pool.run(`job ${i}`)))).toEqual(Array.from({ length: 50 }, (_, i) => handler(`job ${i}`)))
    expect(pool.pending).toBe(0)
  })

  it('resolves every run when finished jobs are removed at once (removeOnComplete), however fast they finish', async () => {
    const pool = remote<number, number>('remove-on-complete', { jobOptions: { removeOnComplete: true, removeOnFail: true } })
    const handler = (n: number): number => {
      if (n < 0) throw new RangeError(`${n} is negative`)
      return n * n
    }
    await serve(pool.name, createPool<number, number>({ handler, concurrency: 4 }))
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => pool.run(i)))
    expect(results).toEqual(Array.from({ length: 500 }, (_, i) => i * i))
    // A failed job removed at once leaves only the event's message: still a RemoteJobError.
    await expect(pool.run(-1, { jobId: 'gone' })).rejects.toMatchObject({ name: 'RemoteJobError', jobId: 'gone', message: '-1 is negative', remoteName: undefined })
  })

  it('runs higher priorities first, as a local pool does', async () => {
    const pool = remote<string, string>('priority')
    const order: string[] = []
    // No consumer yet: every job waits in Redis, then one consumer takes them one at a time.
    const runs = [
      pool.run('low', { priority: Priority.Low }),
      pool.run('normal'),
      pool.run('critical', { priority: Priority.Critical }),
      pool.run('high', { priority: Priority.High }),
      pool.run('normal 2', { priority: Priority.Normal }),
    ]
    const queue = inspect(pool.name)
    await until(async () => (await queue.getJobCounts('prioritized')).prioritized === 5, 'five jobs are queued')
    await serve(pool.name, createPool<string, string>({ handler: (s) => (order.push(s), s) }), { prefetch: 0 })
    await Promise.all(runs)
    expect(order).toEqual(['critical', 'high', 'normal', 'normal 2', 'low'])
  })

  it("carries the key and the timeout to the consumer's pool; a timeout rejects with TaskTimeoutError", async () => {
    const pool = remote<string, string>('timeout')
    await serve(
      pool.name,
      createPool<string, string>({
        handler: (input, ctx) => (input === 'hang' ? new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))) : `${input} for ${ctx.key}`),
      }),
    )
    expect(await pool.run('report', { key: 'tenant-a' })).toBe('report for tenant-a')
    const error = await pool.run('hang', { timeout: 50 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TaskTimeoutError)
    expect(error).toMatchObject({ timeoutMs: 50, message: 'The task timed out after 50 ms' })
    expect((error as Error).cause).toBeInstanceOf(RemoteJobError)
  })

  it('rejects with RemoteJobError carrying the message, the remote class name and the job id when the job fails', async () => {
    const pool = remote<number, number>('failure', { jobOptions: { attempts: 2 } })
    await serve(
      pool.name,
      createPool<number, number>({
        handler: (n) => {
          if (n < 0) throw new RangeError(`${n} is negative`)
          return Math.sqrt(n)
        },
      }),
    )
    const error = await pool.run(-4, { jobId: 'sqrt-minus-4' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RemoteJobError)
    expect(error).toMatchObject({ code: 'ERR_BULLMQ_JOB_FAILED', message: '-4 is negative', remoteName: 'RangeError', jobId: 'sqrt-minus-4', attemptsMade: 2 })
    expect((error as RemoteJobError).remoteStack).toMatch(/^RangeError: -4 is negative\n/)
  })
})

describe('createRemotePool(): cancellation and closing', () => {
  it('removes a job that has not started when the signal aborts, and rejects with the reason', async () => {
    const pool = remote<string, string>('abort-waiting')
    const queue = inspect(pool.name)
    const controller = new AbortController()
    const run = pool.run('never', { signal: controller.signal, jobId: 'abort-me' })
    await until(async () => (await queue.getJob('abort-me')) !== undefined, 'the job is in the queue')
    controller.abort(new Error('no longer needed'))
    await expect(run).rejects.toThrow('no longer needed')
    await until(async () => (await queue.getJob('abort-me')) === undefined, 'the job is removed')
    expect(pool.pending).toBe(0)
    await expect(pool.run('x', { signal: controller.signal })).rejects.toThrow('no longer needed')
  })

  it('rejects at once when the signal aborts while the job runs; the job runs to its end on the consumer', async () => {
    const pool = remote<string, string>('abort-running')
    const started = deferred()
    const release = deferred()
    await serve(pool.name, createPool<JobEnvelope<string>, string>({ handler: async ({ data }) => (started.resolve(), await release.promise, data) }), { input: 'envelope' })
    const controller = new AbortController()
    const run = pool.run('long', { signal: controller.signal, jobId: 'long-1' })
    await started.promise
    controller.abort(new Error('gave up'))
    await expect(run).rejects.toThrow('gave up')
    release.resolve()
    const queue = inspect(pool.name)
    await until(async () => (await (await queue.getJob('long-1'))?.getState()) === 'completed', 'the job completes')
  })

  it('close() waits for pending runs; past its timeout they reject with PoolClosedError and the job stays queued', async () => {
    const pool = remote<string, string>('close')
    const queue = inspect(pool.name)
    const run = pool.run('orphan', { jobId: 'orphan' })
    const settled = run.catch((e: unknown) => e)
    await until(async () => (await queue.getJob('orphan')) !== undefined, 'the job is in the queue')
    await pool.close({ timeout: 20 })
    expect(await settled).toBeInstanceOf(PoolClosedError)
    expect(await (await queue.getJob('orphan'))!.getState()).toBe('prioritized')
    await expect(pool.run('late')).rejects.toBeInstanceOf(PoolClosedError)
  })

  it('rejects ready() and run() with BullmqConnectionError when Redis cannot be reached', async () => {
    const port = await freePort()
    const pool = createRemotePool({ queueName: 'unreachable', connection: { host: '127.0.0.1', port }, connectTimeout: 300 })
    cleanup.push(() => pool.close())
    await expect(pool.ready()).rejects.toBeInstanceOf(BullmqConnectionError)
    await expect(pool.run('x')).rejects.toMatchObject({ code: 'ERR_BULLMQ_CONNECTION', target: `127.0.0.1:${port}` })
  })

  it('checks its options, naming the option and the value', async () => {
    expect(() => createRemotePool({ queueName: '', connection: redis.connection })).toThrow(new TypeError(`options.queueName must be a non-empty string without ':', got ""`))
    expect(() => createRemotePool({ queueName: 'q', connection: redis.connection, connectTimeout: 0 })).toThrow(
      new TypeError('options.connectTimeout must be a positive number of milliseconds, got 0'),
    )
    const pool = remote<string, string>('checks')
    await expect(pool.run('x', { priority: 1.5 })).rejects.toThrow(new RangeError('options.priority must be an integer from -1048575 to 1048575 for a BullMQ job, got 1.5'))
    await expect(pool.run('x', { timeout: -1 })).rejects.toThrow(new TypeError('options.timeout must be a non-negative number of milliseconds or Infinity, got -1'))
    await expect(pool.run('x', { name: 5 as never })).rejects.toThrow(new TypeError('options.name must be a string, got 5'))
  })
})
