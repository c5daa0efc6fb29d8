// Liveness on the virtual clock: every wait a caller depends on ends (by an
// outcome, a timeout or the close), and the timers it depends on are the kind
// that keep a Node process alive (`clock.keepingAlive`). The same cases run in
// plain Node processes in reliability/test/liveness.test.ts.
import { describe, expect, it } from 'vitest'
import { createPool, createVirtualClock, PoolClosedError, TaskTimeoutError, WorkerStartError } from '../src/index.js'
import type { Breaker, DeadLetter, Executor, Scaler, VirtualClock, WorkerHandle } from '../src/index.js'
import { track } from './support.js'

/** An executor whose workers never start: each spawn rejects with the worker's own error. */
function failingExecutor(): Executor<number, number> & { spawns: number } {
  const executor = {
    kind: 'failing',
    spawns: 0,
    spawn(): Promise<WorkerHandle<number, number>> {
      executor.spawns++
      return Promise.reject(new Error(`Cannot find module '/app/worker.js' (spawn ${executor.spawns})`))
    },
  }
  return executor
}

/** A breaker that holds every task of every key until `openUntil` (Infinity: until woken, which never comes). */
function holdingBreaker(openUntil: () => number): Breaker & { settled: number } {
  const breaker = {
    settled: 0,
    admit: () => undefined,
    acquire: () => ({ retryAt: openUntil(), hold: true }),
    onSuccess: () => {},
    onFailure: () => {},
    onCancel: () => {},
    onSettled: () => void breaker.settled++,
  }
  return breaker
}

/** A rate limiter's 429 in a few lines: every failure asks for a re-run `pauseMs` later. */
function pacingBreaker(clock: VirtualClock, pauseMs: number): Breaker {
  return {
    admit: () => undefined,
    acquire: () => undefined,
    onSuccess: () => {},
    onFailure: () => ({ retryAt: clock.now() + pauseMs }),
    onCancel: () => {},
  }
}

const tooMany = (): Error => Object.assign(new Error('429 Too Many Requests'), { status: 429 })

describe('worker start failures', () => {
  it('keeps the respawn backoff timer alive while ready() and a task wait, then rejects both with WorkerStartError carrying the worker error, leaving no timer', async () => {
    const clock = createVirtualClock()
    const executor = failingExecutor()
    const pool = createPool({ executor, clock, concurrency: 1, maxStartFailures: 3 })
    pool.on('error', () => {})
    const ready = track(pool.ready())
    const run = track(pool.run(1))
    await clock.flush()
    // Between failed starts, the backoff timer is all that moves these promises.
    expect(clock.pending).toBe(1)
    expect(clock.keepingAlive).toBe(1)
    await clock.runAll()
    expect(executor.spawns).toBe(3)
    expect(ready.error).toBeInstanceOf(WorkerStartError)
    expect((ready.error as WorkerStartError).cause).toEqual(new Error("Cannot find module '/app/worker.js' (spawn 3)"))
    expect(run.error).toBe(ready.error)
    expect(clock.pending).toBe(0)
    await expect(pool.close()).resolves.toMatchObject({ unstarted: [], aborted: [] })
  })

  it('close() while a respawn backoff is pending resolves at once and clears the timer', async () => {
    const clock = createVirtualClock()
    const pool = createPool({ executor: failingExecutor(), clock, concurrency: 2 })
    pool.on('error', () => {})
    await clock.flush()
    expect(clock.pending).toBe(1)
    const closed = track(pool.close())
    await clock.flush()
    expect(closed.status).toBe('fulfilled')
    expect(clock.pending).toBe(0)
  })

  it('destroy() during failing starts rejects ready() with WorkerStartError carrying the last start error', async () => {
    const clock = createVirtualClock()
    const pool = createPool({ executor: failingExecutor(), clock, concurrency: 1 })
    pool.on('error', () => {})
    const ready = track(pool.ready())
    await clock.next()
    await clock.flush()
    await pool.destroy()
    expect(ready.status).toBe('rejected')
    expect(ready.error).toBeInstanceOf(WorkerStartError)
    expect((ready.error as WorkerStartError).cause).toEqual(new Error("Cannot find module '/app/worker.js' (spawn 2)"))
    await expect(pool.ready()).rejects.toBe(ready.error)
    expect(clock.pending).toBe(0)
  })

  it('close() before a worker finished starting rejects ready() with PoolClosedError instead of resolving', async () => {
    let startWorker!: (handle: WorkerHandle<number, number>) => void
    const executor: Executor<number, number> = {
      kind: 'slow',
      spawn: () => new Promise((resolve) => (startWorker = resolve)),
    }
    const pool = createPool({ executor, concurrency: 1 })
    const ready = track(pool.ready())
    const closed = pool.close()
    startWorker({ id: 1, run: async (x) => x, terminate: async () => {} })
    await closed
    expect(ready.error).toBeInstanceOf(PoolClosedError)
  })
})

describe('held tasks', () => {
  it('a task the breaker holds for ever fails with TaskTimeoutError after its timeout, without running, on a timer that keeps the process alive', async () => {
    const clock = createVirtualClock()
    const breaker = holdingBreaker(() => Infinity)
    let calls = 0
    const pool = createPool({ handler: async (x: number) => (calls++, x), clock, breaker })
    const held = track(pool.run(1, { key: 'down', timeout: 200 }))
    await clock.flush()
    expect(pool.stats().delayed).toBe(1)
    expect(clock.keepingAlive).toBe(1)
    await clock.advance(199)
    expect(held.status).toBe('pending')
    await clock.advance(1)
    expect(held.error).toBeInstanceOf(TaskTimeoutError)
    expect((held.error as TaskTimeoutError).message).toMatch(/^The task timed out after 200 ms, held by the pool's breaker/)
    expect(calls).toBe(0)
    expect(breaker.settled).toBe(1)
    expect(pool.stats()).toMatchObject({ delayed: 0, counters: { timedOut: 1 } })
    expect(clock.pending).toBe(0)
    await pool.close()
  })

  it('the time held and the time run add up against one timeout: a task held until 150 ms with a 200 ms timeout may run 50 ms', async () => {
    const clock = createVirtualClock()
    const breaker = holdingBreaker(() => (clock.now() < 150 ? 150 : -1))
    breaker.acquire = () => (clock.now() < 150 ? { retryAt: 150, hold: true } : undefined)
    const pool = createPool({ handler: (x: number) => new Promise<number>((resolve) => clock.setTimeout(() => resolve(x), 80)), clock, breaker })
    const run = track(pool.run(1, { timeout: 200 }))
    await clock.advance(150)
    expect(pool.stats().running).toBe(1)
    await clock.advance(49)
    expect(run.status).toBe('pending')
    await clock.advance(1)
    expect(run.error).toBeInstanceOf(TaskTimeoutError)
    await pool.close()
  })

  it('the pauses of 429 re-runs count toward the task timeout, so a provider that always answers 429 cannot keep a task for ever', async () => {
    const clock = createVirtualClock()
    let calls = 0
    const pool = createPool({
      handler: async () => {
        calls++
        throw tooMany()
      },
      clock,
      breaker: pacingBreaker(clock, 1000),
      retry: { maxBreakerRetries: Infinity },
    })
    const run = track(pool.run(1, { timeout: 1500 }))
    await clock.advance(1499)
    expect(calls).toBe(2)
    expect(run.status).toBe('pending')
    await clock.advance(1)
    expect(run.error).toBeInstanceOf(TaskTimeoutError)
    expect(pool.stats().counters).toMatchObject({ timedOut: 1, retried: 0 })
    expect(clock.pending).toBe(0)
    await pool.close()
  })

  it('re-runs a 429 at most retry.maxBreakerRetries times (default 10), then fails with the 429', async () => {
    const clock = createVirtualClock()
    let calls = 0
    const error = tooMany()
    const pool = createPool({
      handler: async () => {
        calls++
        throw error
      },
      clock,
      breaker: pacingBreaker(clock, 0),
    })
    const results: unknown[] = []
    pool.submit(1, (r) => results.push(r))
    await clock.runAll()
    expect(calls).toBe(11)
    expect(results).toEqual([expect.objectContaining({ ok: false, error, attempts: 1 })])
    expect(pool.stats().counters).toMatchObject({ failed: 1, retried: 0 })
    await pool.close()
  })

  it('counts a 429 re-run as the same attempt everywhere: attempts in the result and the dead letter, no retry counted or observed', async () => {
    const clock = createVirtualClock()
    let calls = 0
    const retriedSeen: number[] = []
    const letters: DeadLetter<number>[] = []
    const pool = createPool({
      handler: async (x: number) => {
        calls++
        if (calls === 1) throw tooMany()
        if (calls === 2) throw new Error('transient')
        return x
      },
      clock,
      breaker: { ...pacingBreaker(clock, 100), onFailure: (_task, e) => ((e as { status?: number }).status === 429 ? { retryAt: clock.now() + 100 } : undefined) },
      retry: { attempts: 1 },
      deadLetter: { put: (letter) => void letters.push(letter) },
      observers: [{ onRetried: (_pool, task) => void retriedSeen.push(task.id) }],
    })
    const results: unknown[] = []
    pool.submit(1, (r) => results.push(r))
    await clock.runAll()
    // One 429 (free), then a real failure on the only attempt.
    expect(calls).toBe(2)
    expect(results).toEqual([expect.objectContaining({ ok: false, attempts: 1 })])
    expect(letters).toEqual([expect.objectContaining({ attempts: 1 })])
    expect(retriedSeen).toEqual([])
    expect(pool.stats().counters.retried).toBe(0)
    await pool.close()
  })
})

describe('close() and held tasks', () => {
  it('settles as unstarted, with PoolClosedError, a held task whose hold ends after the close timeout, and lists it in the report', async () => {
    const clock = createVirtualClock()
    const pool = createPool({ handler: async (x: number) => x, clock, breaker: holdingBreaker(() => 10_000) })
    const held = track(pool.run(1, { key: 'down' }))
    await clock.flush()
    const report = track(pool.close({ timeout: 1000 }))
    await clock.flush()
    expect(held.error).toBeInstanceOf(PoolClosedError)
    expect(report.status).toBe('fulfilled')
    expect(report.value).toMatchObject({ settled: 0, unstarted: [expect.objectContaining({ id: 1 })], aborted: [], timedOut: false })
    expect(clock.pending).toBe(0)
  })

  it('lets a held task whose hold ends before the close timeout run and complete', async () => {
    const clock = createVirtualClock()
    const breaker = holdingBreaker(() => 500)
    breaker.acquire = () => (clock.now() < 500 ? { retryAt: 500, hold: true } : undefined)
    const pool = createPool({ handler: async (x: number) => x * 2, clock, breaker })
    const held = track(pool.run(21, { key: 'slow' }))
    await clock.flush()
    const report = track(pool.close({ timeout: 1000 }))
    await clock.advance(500)
    expect(held.value).toBe(42)
    expect(report.value).toMatchObject({ settled: 1, unstarted: [], timedOut: false })
  })

  it('with no close timeout, settles as unstarted the tasks held until a wake once no task runs to bring one', async () => {
    const clock = createVirtualClock()
    const pool = createPool({ handler: async (x: number) => x, clock, breaker: holdingBreaker(() => Infinity) })
    const held = track(pool.run(1))
    await clock.flush()
    const report = await pool.close()
    expect(held.error).toBeInstanceOf(PoolClosedError)
    expect(report.unstarted).toHaveLength(1)
  })

  it('a later close({ timeout }) settles the holds that end past its deadline', async () => {
    const clock = createVirtualClock()
    const pool = createPool({ handler: async (x: number) => x, clock, breaker: holdingBreaker(() => 5000), concurrency: 1 })
    const held = track(pool.run(1, { key: 'k' }))
    await clock.flush()
    const first = track(pool.close())
    await clock.advance(100)
    expect(held.status).toBe('pending')
    void pool.close({ timeout: 1000 })
    await clock.flush()
    expect(held.error).toBeInstanceOf(PoolClosedError)
    expect(first.value).toMatchObject({ unstarted: [expect.objectContaining({ id: 1 })] })
  })
})

describe('close reports', () => {
  it('list unstarted and aborted tasks as plain, JSON-serialisable TaskInfo copies, not the pool’s records', async () => {
    const clock = createVirtualClock()
    const pool = createPool({ handler: (_x: { secret: string }) => new Promise<number>(() => {}), clock, concurrency: 1 })
    const running = track(pool.run({ secret: 'a' }, { key: 'k', name: 'job' }))
    const queued = track(pool.run({ secret: 'b' }))
    await clock.flush()
    const report = await pool.destroy()
    expect(running.status).toBe('rejected')
    expect(queued.status).toBe('rejected')
    expect(JSON.parse(JSON.stringify(report))).toEqual(report)
    const fields = ['attempt', 'endedAt', 'enqueuedAt', 'expiresAt', 'id', 'key', 'labels', 'name', 'priority', 'requires', 'runMs', 'startedAt', 'submittedAt', 'waitMs']
    expect(Object.keys(report.aborted[0]!).sort()).toEqual(fields)
    expect(Object.keys(report.unstarted[0]!).sort()).toEqual(fields)
    expect(report.aborted[0]).toMatchObject({ id: 1, key: 'k', name: 'job', attempt: 1 })
    expect(JSON.stringify(report)).not.toContain('secret')
  })
})

describe('dead letters', () => {
  it('hand the sink a plain, JSON-serialisable copy of the task, not the pool\u2019s record', async () => {
    const letters: DeadLetter<number>[] = []
    const pool = createPool({
      handler: async (_input: number): Promise<number> => {
        throw new Error('always')
      },
      deadLetter: { put: (letter) => void letters.push(letter) },
    })
    await expect(pool.run(7, { key: 'k' })).rejects.toThrow('always')
    expect(letters).toHaveLength(1)
    const { task } = letters[0]!
    expect(Object.keys(task).sort()).toEqual(['attempt', 'endedAt', 'enqueuedAt', 'expiresAt', 'id', 'key', 'labels', 'name', 'priority', 'requires', 'runMs', 'startedAt', 'submittedAt', 'waitMs'])
    expect(task).toMatchObject({ id: 1, key: 'k', attempt: 1 })
    expect(() => JSON.stringify(letters[0]!.task)).not.toThrow()
    await pool.close()
  })
})

describe('observer events', () => {
  it('hand tasks and workers that JSON.stringify and util.inspect write as their documented fields, without input, callbacks or links', async () => {
    const { inspect } = await import('node:util')
    const written: string[] = []
    const inspected: string[] = []
    const write = (...values: unknown[]): void => {
      for (const value of values) {
        written.push(JSON.stringify(value))
        inspected.push(inspect(value))
      }
    }
    const pool = createPool({
      handler: async (x: { secret: string }) => x.secret.length,
      concurrency: 2,
      observers: [
        {
          onSubmitted: (_pool, task) => write(task),
          onStarted: (_pool, task, worker) => write(task, worker),
          onSettled: (_pool, task) => write(task),
          onWorkerStarted: (_pool, worker) => write(worker),
        },
      ],
    })
    // Two tasks at once: the running list links them to each other.
    await Promise.all([pool.run({ secret: 'hidden' }, { key: 'k' }), pool.run({ secret: 'hidden' })])
    await pool.close()
    const taskFields = ['attempt', 'endedAt', 'enqueuedAt', 'expiresAt', 'id', 'key', 'labels', 'name', 'priority', 'requires', 'runMs', 'startedAt', 'submittedAt', 'waitMs']
    const workerFields = ['busyMs', 'capabilities', 'capacity', 'finished', 'id', 'readyAt', 'running'] // eventLoopUtilization: undefined in-process, so JSON leaves it out
    expect(written.length).toBeGreaterThanOrEqual(8)
    for (const json of written) {
      // JSON leaves out the fields that are undefined (a task's name, requires, labels and expiresAt here).
      const keys = Object.keys(JSON.parse(json) as object).sort()
      const fields = keys.includes('submittedAt') ? taskFields : workerFields
      expect(fields).toEqual(expect.arrayContaining(keys))
      expect(keys.length).toBeGreaterThanOrEqual(fields.length - 5)
      expect(json).not.toContain('hidden')
    }
    for (const text of inspected) expect(text).not.toMatch(/hidden|resolve|prev|handle/)
  })
})

describe('a scaler at min 0', () => {
  it('starts a worker at once for a task submitted while the pool has none, without waiting for the unref\u2019d tick', async () => {
    const clock = createVirtualClock()
    const scaler: Scaler = { min: 0, max: 2, intervalMs: 1000, desired: () => 0 }
    const pool = createPool({ handler: async (x: number) => x + 1, clock, scaler })
    expect(pool.stats().workers.total).toBe(0)
    const run = track(pool.run(1))
    await clock.flush()
    expect(run.value).toBe(2)
    expect(clock.now()).toBe(0)
    // The scaler's tick is the only timer, and it does not keep the process alive.
    expect(clock.keepingAlive).toBe(0)
    await pool.close()
  })

  it('keeps one worker while tasks wait even when the scaler asks for none', async () => {
    const clock = createVirtualClock()
    const scaler: Scaler = { min: 0, max: 1, intervalMs: 10, desired: () => 0 }
    const pool = createPool({ handler: (x: number) => new Promise<number>((r) => clock.setTimeout(() => r(x), 100)), clock, scaler })
    const runs = [track(pool.run(1)), track(pool.run(2))]
    await clock.advance(50)
    expect(pool.stats().targetWorkers).toBe(1)
    await clock.advance(200)
    expect(runs.map((r) => r.value)).toEqual([1, 2])
    await pool.close()
  })
})
