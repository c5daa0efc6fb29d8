import { createPool, Priority } from '@poolkit/core'
import type { Breaker, Pool, TaskContext } from '@poolkit/core'
import { threads } from '@poolkit/node-adapter'
import { Queue } from 'bullmq'
import type { Job } from 'bullmq'
import { describe, expect, it } from 'vitest'
import { BullmqConnectionError, BullmqErrorCode, consume, toJobOptions } from '../src/index.js'
import type { Consumer, JobEnvelope } from '../src/index.js'
import { freePort, useRedisServer } from './helpers/redis-server.js'
import { deferred, queueName, until } from './helpers/wait.js'
import type { Deferred } from './helpers/wait.js'
import { execArgv, fixture } from './helpers/worker-options.js'

const { redis, cleanup } = useRedisServer()

function openQueue(label: string): Queue {
  const queue = new Queue(queueName(label), { connection: redis.connection })
  cleanup.push(() => queue.close())
  return queue
}

function track<P extends { close(): Promise<unknown> } | Pool<any, any>>(closable: P): P {
  cleanup.push(() => closable.close())
  return closable
}

async function start<I, O>(queue: Queue, pool: Pool<I, O>, options: Partial<Parameters<typeof consume<I, O>>[1]> = {}): Promise<Consumer> {
  const consumer = await consume<I, O>(queue.name, { connection: redis.connection, pool, ...options })
  // Closed before the pool (pushed after it, closed in reverse order).
  cleanup.push(() => consumer.close({ timeout: 1_000 }))
  return consumer
}

/** Waits until the job is completed or failed, and returns it as Redis has it. */
async function finished(queue: Queue, id: string): Promise<Job> {
  await until(async () => ['completed', 'failed'].includes(await queue.getJobState(id)), `job ${id} finished`)
  // Read once it is final: a copy read before (between a retried failure and the success) would be stale.
  return (await queue.getJob(id))!
}

const counts = (queue: Queue): Promise<Record<string, number>> => queue.getJobCounts('waiting', 'prioritized', 'active', 'completed', 'failed', 'delayed')

describe('consume() on a thread pool', () => {
  it('runs each job on the pool with job.data as input and job.name as the task function, and records the result in BullMQ', async () => {
    const queue = openQueue('basic')
    const pool = track(createPool<number, number>({ executor: threads(fixture('tasks.worker.mjs'), { execArgv }), concurrency: 2 }))
    const consumer = await start(queue, pool)
    expect(consumer.state).toBe('running')
    expect(consumer.queueName).toBe(queue.name)
    const jobs = await queue.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'double', data: i })))
    const results = await Promise.all(jobs.map((job) => finished(queue, job.id!)))
    expect(results.map((job) => job.returnvalue)).toEqual(Array.from({ length: 20 }, (_, i) => i * 2))
    expect(pool.stats().counters.completed).toBe(20)
  })

  it("gives the task the job id as idempotency key with input: 'envelope'", async () => {
    const queue = openQueue('envelope')
    const pool = track(createPool<JobEnvelope, unknown>({ executor: threads(fixture('tasks.worker.mjs'), { execArgv }), concurrency: 1 }))
    await start(queue, pool, { input: 'envelope' })
    const job = await queue.add('envelope', { order: 7 }, { jobId: 'order-7' })
    const done = await finished(queue, job.id!)
    expect(done.returnvalue).toEqual({ jobId: 'order-7', attempt: 1, data: { order: 7 }, name: 'envelope', queueName: queue.name })
  })

  it('fails a job whose data the task cannot handle, with the error recorded in BullMQ, and goes on with the next', async () => {
    const queue = openQueue('bad-data')
    const pool = track(createPool<unknown, number>({ executor: threads(fixture('tasks.worker.mjs'), { execArgv }), concurrency: 1 }))
    const consumer = await start(queue, pool)
    const bad = await queue.add('double', 'not a number')
    const unknown = await queue.add('triple', 3)
    const good = await queue.add('double', 21)
    const [badDone, unknownDone, goodDone] = await Promise.all([finished(queue, bad.id!), finished(queue, unknown.id!), finished(queue, good.id!)])
    expect(await badDone.getState()).toBe('failed')
    expect(badDone.failedReason).toBe('expected a number, got string')
    expect(badDone.stacktrace?.at(-1)).toMatch(/^TypeError: expected a number, got string/)
    expect(await unknownDone.getState()).toBe('failed')
    expect(unknownDone.failedReason).toMatch(/no function "triple"/)
    expect(goodDone.returnvalue).toBe(42)
    expect(consumer.state).toBe('running')
  })
})

describe('consume(): job options reach the pool', () => {
  it('runs each task with the key, priority and timeout of its job, and fails jobs whose options are invalid', async () => {
    const queue = openQueue('options')
    const seen: { key: string | undefined; name: string | undefined }[] = []
    const pool = track(
      createPool<string, string>({
        handler: (input, ctx: TaskContext) => {
          seen.push({ key: ctx.key, name: ctx.name })
          if (input === 'hang') return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)))
          return input.toUpperCase()
        },
        concurrency: 2,
      }),
    )
    await start(queue, pool)
    const keyed = await queue.add('shout', 'hello', toJobOptions({ key: 'tenant-a', priority: Priority.High }))
    const timed = await queue.add('hang', 'hang', toJobOptions({ timeout: 50 }))
    const invalid = await queue.add('shout', 'x', { poolkit: { timeout: -5 } } as never)
    const unnamed = await queue.add('default', 'plain')
    expect((await finished(queue, keyed.id!)).returnvalue).toBe('HELLO')
    const timedOut = await finished(queue, timed.id!)
    expect(timedOut.failedReason).toBe('The task timed out after 50 ms')
    expect(timedOut.stacktrace?.at(-1)).toMatch(/^TaskTimeoutError/)
    const rejected = await finished(queue, invalid.id!)
    expect(rejected.failedReason).toBe('options.timeout must be a non-negative number of milliseconds or Infinity, got -5')
    expect((await finished(queue, unnamed.id!)).returnvalue).toBe('PLAIN')
    expect(seen).toContainEqual({ key: 'tenant-a', name: 'shout' })
    // A job named 'default' (a remote run without a name) runs the worker's default function.
    expect(seen).toContainEqual({ key: undefined, name: undefined })
  })

  it("aborts the task's signal when the job is cancelled on its worker, and the job fails with the reason", async () => {
    const queue = openQueue('cancel')
    const started = deferred()
    const pool = track(
      createPool<string, string>({
        handler: (_input, ctx) =>
          new Promise((_, reject) => {
            started.resolve()
            ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))
          }),
      }),
    )
    const consumer = await start(queue, pool)
    const job = await queue.add('wait', 'x')
    await started.promise
    expect(consumer.worker.cancelJob(job.id!, 'cancelled by the operator')).toBe(true)
    const failed = await finished(queue, job.id!)
    expect(failed.failedReason).toBe('cancelled by the operator')
    expect(pool.stats().counters.cancelled).toBe(1)
  })

  it('fails the job, not the consumer, when the input function throws', async () => {
    const queue = openQueue('input-throws')
    const pool = track(createPool<number, number>({ handler: (n) => n + 1 }))
    await start(queue, pool, {
      input: (job: Job) => {
        if (typeof job.data?.n !== 'number') throw new RangeError(`job ${job.id} has no n`)
        return job.data.n as number
      },
    })
    const bad = await queue.add('inc', { m: 1 })
    const good = await queue.add('inc', { n: 1 })
    expect((await finished(queue, bad.id!)).failedReason).toBe(`job ${bad.id} has no n`)
    expect((await finished(queue, good.id!)).returnvalue).toBe(2)
  })
})

describe('consume(): concurrency follows the pool', () => {
  it('fetches only what the pool can run plus prefetch, so the rest wait in Redis, and fetches more when the pool grows', async () => {
    const queue = openQueue('capacity')
    const gates = new Map<string, Deferred>()
    const gate = (id: string): Deferred => gates.get(id) ?? (gates.set(id, deferred()), gates.get(id)!)
    const pool = track(createPool<JobEnvelope, string>({ handler: async ({ jobId }) => (await gate(jobId).promise, jobId), concurrency: 2 }))
    const consumer = await start(queue, pool, { input: 'envelope', capacityIntervalMs: 10 })
    expect(consumer.concurrency).toBe(3) // 2 running + prefetch 1
    await queue.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'job', data: i, opts: { jobId: `job-${i}` } })))
    await until(async () => (await counts(queue)).active === 3, 'three jobs are active')
    expect(await counts(queue)).toMatchObject({ active: 3, waiting: 17 })
    expect(pool.stats()).toMatchObject({ running: 2, queued: 1 })

    pool.resize(4)
    await until(() => consumer.concurrency === 5, 'the consumer follows the pool to 4 + 1')
    // BullMQ takes more once a job it holds finishes.
    gate('job-0').resolve()
    await until(async () => (await counts(queue)).active === 5, 'five jobs are active')
    expect(await counts(queue)).toMatchObject({ active: 5, waiting: 14, completed: 1 })

    for (let i = 0; i < 20; i++) gate(`job-${i}`).resolve()
    await until(async () => (await counts(queue)).completed === 20, 'every job completed')
  })

  it("lets the pool's scaler see pressure and grows BullMQ's concurrency with it", async () => {
    const queue = openQueue('scaler')
    const pool = track(
      createPool<number, number>({
        handler: (n) => new Promise((resolve) => setTimeout(() => resolve(n), 2)),
        concurrency: 1,
        scaler: { min: 1, max: 3, intervalMs: 0, onPressure: true, desired: (s) => (s.queued > 0 ? s.targetWorkers + 1 : s.targetWorkers) },
      }),
    )
    const consumer = await start(queue, pool, { capacityIntervalMs: 10 })
    expect(consumer.concurrency).toBe(2)
    await queue.addBulk(Array.from({ length: 200 }, (_, i) => ({ name: 'job', data: i })))
    await until(() => consumer.concurrency === 4, 'the consumer follows the scaler to 3 workers + 1')
    expect(pool.stats().targetWorkers).toBe(3)
    await until(async () => (await counts(queue)).completed === 200, 'every job completed')
  })
})

describe('consume(): who retries', () => {
  it("retries: 'bullmq' (the default): BullMQ retries by the job's attempts, the pool never does", async () => {
    const queue = openQueue('retry-bullmq')
    const pool = track(
      createPool<JobEnvelope<string>, string>({
        handler: ({ attempt, data }) => {
          if (attempt < 3) throw new Error(`attempt ${attempt} failed`)
          return `${data} on attempt ${attempt}`
        },
      }),
    )
    await start(queue, pool, { input: 'envelope' })
    const job = await queue.add('flaky', 'done', { attempts: 3 })
    const done = await finished(queue, job.id!)
    expect(done.returnvalue).toBe('done on attempt 3')
    expect(done.attemptsMade).toBe(3) // BullMQ counts the attempt that completed too
    expect(pool.stats().counters).toMatchObject({ started: 3, retried: 0, failed: 2, completed: 1 })
  })

  it("retries: 'pool': the pool's retry policy runs, and BullMQ does not retry the failure whatever the job's attempts", async () => {
    const queue = openQueue('retry-pool')
    let calls = 0
    const pool = track(
      createPool<string, string>({
        handler: () => {
          calls++
          throw new RangeError('always fails')
        },
        retry: { attempts: 2, backoff: { initialMs: 1, jitter: 0 } },
      }),
    )
    await start(queue, pool, { retries: 'pool' })
    const job = await queue.add('doomed', 'x', { attempts: 5 })
    const failed = await finished(queue, job.id!)
    expect(await failed.getState()).toBe('failed')
    expect(failed.failedReason).toBe('always fails')
    expect(failed.stacktrace?.at(-1)).toMatch(/^RangeError: always fails/)
    expect(calls).toBe(2)
    expect(pool.stats().counters.retried).toBe(1)
  })

  it("never retries one failure twice over: a pool that retries under retries: 'bullmq' makes its failure final, with one warning", async () => {
    const queue = openQueue('retry-both')
    const warnings: Error[] = []
    const onWarning = (warning: Error): void => {
      warnings.push(warning)
    }
    process.on('warning', onWarning)
    cleanup.push(async () => process.off('warning', onWarning))
    let calls = 0
    const pool = track(
      createPool<string, string>({
        handler: () => {
          calls++
          throw new Error('still failing')
        },
        retry: { attempts: 2, backoff: { initialMs: 1, jitter: 0 } },
      }),
    )
    await start(queue, pool)
    const first = await queue.add('doomed', 'a', { attempts: 3 })
    const second = await queue.add('doomed', 'b', { attempts: 3 })
    expect(await (await finished(queue, first.id!)).getState()).toBe('failed')
    expect(await (await finished(queue, second.id!)).getState()).toBe('failed')
    expect(calls).toBe(4) // two pool attempts per job, no BullMQ retry on top
    await until(() => warnings.some((w) => (w as { code?: string }).code === 'POOLKIT_BULLMQ_DOUBLE_RETRY'), 'the warning is emitted')
    expect(warnings.filter((w) => (w as { code?: string }).code === 'POOLKIT_BULLMQ_DOUBLE_RETRY')).toHaveLength(1)
  })
  it("a breaker's 429 re-run is not a pool retry: after one 429 and one transient failure, BullMQ still retries the job, with no warning", async () => {
    const queue = openQueue('retry-429')
    const warnings: Error[] = []
    const onWarning = (warning: Error): void => {
      warnings.push(warning)
    }
    process.on('warning', onWarning)
    cleanup.push(async () => process.off('warning', onWarning))
    let calls = 0
    // A rate limiter's answer to a 429 in a few lines: run the task again 20 ms later, as the same attempt.
    const breaker: Breaker = {
      admit: () => undefined,
      acquire: () => undefined,
      onSuccess: () => {},
      onFailure: (_task, error) => ((error as { status?: number }).status === 429 ? { retryAt: performance.now() + 20 } : undefined),
      onCancel: () => {},
    }
    const pool = track(
      createPool<string, string>({
        handler: (input) => {
          calls++
          if (calls === 1) throw Object.assign(new Error('429 Too Many Requests'), { status: 429 })
          if (calls === 2) throw new Error('transient')
          return `done ${input}`
        },
        breaker,
      }),
    )
    await start(queue, pool)
    const job = await queue.add('paced', 'x', { attempts: 3, backoff: { type: 'fixed', delay: 10 } })
    const done = await finished(queue, job.id!)
    expect(await done.getState()).toBe('completed')
    expect(done.returnvalue).toBe('done x')
    expect(done.attemptsMade).toBe(2)
    expect(calls).toBe(3)
    expect(warnings.filter((w) => (w as { code?: string }).code === 'POOLKIT_BULLMQ_DOUBLE_RETRY')).toEqual([])
  })
})

describe('consume(): shutdown', () => {
  it('close() stops fetching, lets the running jobs finish on the pool, then closes the worker', async () => {
    const queue = openQueue('close')
    const release = deferred()
    const started: string[] = []
    const pool = track(
      createPool<JobEnvelope, string>({
        handler: async ({ jobId }) => {
          started.push(jobId)
          await release.promise
          return `finished ${jobId}`
        },
        concurrency: 2,
      }),
    )
    const consumer = await consume<JobEnvelope, string>(queue.name, { connection: redis.connection, pool, input: 'envelope', prefetch: 0 })
    cleanup.push(() => (release.resolve(), consumer.close({ timeout: 100 })))
    await queue.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: 'job', data: i, opts: { jobId: `c-${i}` } })))
    await until(() => started.length === 2, 'two jobs run')
    let closed = false
    const closing = consumer.close().then((report) => {
      closed = true
      return report
    })
    expect(consumer.state).toBe('closing')
    // The running jobs hold the close: it cannot end before they do.
    await until(async () => (await counts(queue)).active === 2, 'the two jobs are still active')
    expect(closed).toBe(false)
    release.resolve()
    const report = await closing
    expect(report).toMatchObject({ handedBack: [], timedOut: false })
    expect(consumer.state).toBe('closed')
    for (const id of started) expect((await queue.getJob(id))!.returnvalue).toBe(`finished ${id}`)
    expect(await counts(queue)).toMatchObject({ completed: 2, waiting: 3, active: 0 })
    expect(pool.state).toBe('open')
  })

  it('close({ timeout }) hands the jobs still running back to the queue, with no attempt spent, for another consumer', async () => {
    const queue = openQueue('hand-back')
    const running: string[] = []
    const stuck = track(
      createPool<JobEnvelope, string>({
        handler: ({ jobId }, ctx) =>
          new Promise((_, reject) => {
            running.push(jobId)
            ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))
          }),
        concurrency: 2,
      }),
    )
    const consumer = await consume<JobEnvelope, string>(queue.name, { connection: redis.connection, pool: stuck, input: 'envelope', prefetch: 0 })
    cleanup.push(() => consumer.close({ timeout: 100 }))
    await queue.addBulk([
      { name: 'job', data: 0, opts: { jobId: 'h-0', attempts: 1 } },
      { name: 'job', data: 1, opts: { jobId: 'h-1', attempts: 1 } },
    ])
    await until(() => running.length === 2, 'both jobs run')
    const report = await consumer.close({ timeout: 100 })
    expect(report.timedOut).toBe(true)
    expect([...report.handedBack].sort()).toEqual(['h-0', 'h-1'])
    for (const id of ['h-0', 'h-1']) {
      const job = (await queue.getJob(id))!
      expect(await job.getState()).toBe('waiting')
      expect(job.attemptsMade).toBe(0)
    }
    // Another consumer runs them to the end.
    const healthy = track(createPool<JobEnvelope, string>({ handler: ({ jobId }) => `ran ${jobId}` }))
    await start(queue, healthy, { input: 'envelope' })
    expect((await finished(queue, 'h-0')).returnvalue).toBe('ran h-0')
    expect((await finished(queue, 'h-1')).returnvalue).toBe('ran h-1')
  })
})

describe('consume(): start-up errors', () => {
  it('rejects with BullmqConnectionError when Redis cannot be reached, within connectTimeout', async () => {
    const port = await freePort()
    const pool = track(createPool<number, number>({ handler: (n) => n }))
    const started = Date.now()
    const error = await consume('nowhere', { connection: { host: '127.0.0.1', port }, pool, connectTimeout: 300 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BullmqConnectionError)
    expect(error).toMatchObject({ code: BullmqErrorCode.Connection, queueName: 'nowhere', target: `127.0.0.1:${port}`, timeoutMs: 300 })
    expect((error as Error).message).toMatch(new RegExp(`^Could not connect to Redis at 127\\.0\\.0\\.1:${port} for queue "nowhere" within 300 ms \\(last error: .*ECONNREFUSED`))
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(pool.state).toBe('open')
  })

  it("rejects with the pool's WorkerStartError when the pool's workers cannot start", async () => {
    const queue = openQueue('no-workers')
    const pool = track(createPool<number, number>({ executor: threads(fixture('missing.worker.mjs'), { execArgv }), concurrency: 1, maxStartFailures: 1 }))
    await expect(consume(queue.name, { connection: redis.connection, pool })).rejects.toMatchObject({ code: 'ERR_POOL_WORKER_START' })
  })

  it('checks its options when it starts, naming the option and the value', async () => {
    const pool = track(createPool<number, number>({ handler: (n) => n }))
    const connection = redis.connection
    await expect(consume('a:b', { connection, pool })).rejects.toThrow(new TypeError(`queueName must be a non-empty string without ':', got "a:b"`))
    await expect(consume('q', { connection, pool: {} as never })).rejects.toThrow(new TypeError('options.pool must be a poolkit Pool (createPool from @poolkit/core), got an object without submit()'))
    await expect(consume('q', { connection, pool, prefetch: -1 })).rejects.toThrow(new TypeError('options.prefetch must be a non-negative integer, got -1'))
    await expect(consume('q', { connection, pool, input: 'json' as never })).rejects.toThrow(new TypeError(`options.input must be one of 'data', 'envelope', got "json"`))
    await expect(consume('q', { connection, pool, retries: 'both' as never })).rejects.toThrow(new TypeError(`options.retries must be one of 'bullmq', 'pool', got "both"`))
    await expect(consume('q', { connection: undefined as never, pool })).rejects.toThrow(new TypeError('options.connection must be Redis connection options or an ioredis instance, got undefined'))
  })
})
