import { describe, expect, it } from 'vitest'
import { createVirtualClock, ErrorCode, WorkerExitError, WorkerStartError } from '@poolkit/core'
import { countSpawns, kinds, openPool, recordErrors, recordWorkers, rejectionOf } from './support.js'

describe.each(kinds)('crash injection on $name', (kind) => {
  it('fails a task that calls process.exit(7) with WorkerExitError (exit code 7) and replaces the worker', async () => {
    const events = recordWorkers()
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs'), concurrency: 1, observers: [events.observer] })
    await pool.ready()
    const errors = recordErrors(pool)
    const before = await pool.run(null, { name: 'identity' })
    const error = await rejectionOf(pool.run(7, { name: 'exit' }))
    expect(error).toBeInstanceOf(WorkerExitError)
    expect(error.code).toBe(ErrorCode.WorkerExit)
    expect(error.code).toBe('ERR_POOL_WORKER_EXIT')
    expect(error.exitCode).toBe(7)
    const after = await pool.run(null, { name: 'identity' })
    expect(after).not.toBe(before)
    expect(events.exited.map((e) => e.reason)).toEqual(['crashed'])
    expect(events.started).toHaveLength(2)
    // The crash is reported once on the pool's error event.
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(WorkerExitError)
    expect(pool.stats().workers.total).toBe(1)
  })

  it('loses no task when the third of ten queued tasks exits its worker: the others all succeed', async () => {
    const events = recordWorkers()
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs'), concurrency: 1, observers: [events.observer] })
    await pool.ready()
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => pool.run({ i: i + 1, exitAt: 3, code: 7 }, { name: 'exitAt' })))
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ task: i + 1, error: r.reason as WorkerExitError }] : []))
    expect(failed.map((f) => f.task)).toEqual([3])
    expect(failed[0]!.error).toBeInstanceOf(WorkerExitError)
    expect(failed[0]!.error.exitCode).toBe(7)
    expect(results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))).toEqual([1, 2, 4, 5, 6, 7, 8, 9, 10])
    expect(events.exited.map((e) => e.reason)).toEqual(['crashed'])
    expect(pool.stats().counters).toMatchObject({ completed: 9, failed: 1 })
  })

  it('re-queues, not fails, the tasks waiting behind a crashing one on the same worker', async () => {
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs'), concurrency: 1 })
    await pool.ready()
    // The first task exits only once it runs; the rest were sent to the same worker ahead of time.
    const crashing = pool.run(7, { name: 'exit' })
    const waiting = Array.from({ length: 4 }, (_, i) => pool.run(i, { name: 'echo' }))
    await expect(crashing).rejects.toBeInstanceOf(WorkerExitError)
    await expect(Promise.all(waiting)).resolves.toEqual([0, 1, 2, 3])
  })

  it('gives up on a worker file that throws at top level: ready() rejects with WorkerStartError carrying its error, after 3 spawns', async () => {
    const counted = countSpawns(kind.executor('throws-at-top.worker.mjs'))
    const pool = openPool({ executor: counted.executor, concurrency: 1, maxStartFailures: 3 })
    const errors = recordErrors(pool)
    const error = await rejectionOf(pool.ready())
    expect(error).toBeInstanceOf(WorkerStartError)
    expect(error.code).toBe(ErrorCode.WorkerStart)
    expect(error.attempts).toBe(3)
    expect(error.cause).toBeInstanceOf(Error)
    expect(String(error.cause.message)).toContain('cannot load: CONFIG_PATH is not set')
    expect(counted.spawns).toBe(3)
    // A waiting or new task is refused with the same error, not queued for ever.
    await expect(pool.run(1)).rejects.toBe(error)
    // One report for the give-up, next to one per failed start: no storm.
    expect(errors.filter((e) => e instanceof WorkerStartError)).toHaveLength(1)
    expect(errors.length).toBeLessThanOrEqual(4)
  })

  it('gives up on a worker whose setup() throws, with its error as the cause, after 3 spawns', async () => {
    const counted = countSpawns(kind.executor('setup-throws.worker.mjs'))
    const pool = openPool({ executor: counted.executor, concurrency: 1, maxStartFailures: 3 })
    const error = await rejectionOf(pool.ready())
    expect(error).toBeInstanceOf(WorkerStartError)
    expect(error.cause).toBeInstanceOf(Error)
    expect(error.cause.message).toBe('setup failed: database unreachable')
    expect(counted.spawns).toBe(3)
  })

  it('gives up on a missing worker file, with the module-not-found error as the cause, after 3 spawns', async () => {
    const counted = countSpawns(kind.executor('does-not-exist.worker.mjs'))
    const pool = openPool({ executor: counted.executor, concurrency: 1, maxStartFailures: 3 })
    const error = await rejectionOf(pool.ready())
    expect(error).toBeInstanceOf(WorkerStartError)
    expect(error.cause).toBeInstanceOf(Error)
    expect(String(error.cause.message)).toMatch(/does-not-exist\.worker\.mjs|Cannot find module/)
    expect(counted.spawns).toBe(3)
  })

  it('backs off between failed starts and stops after giving up: no spawn after the third within the next backoff', async () => {
    const clock = createVirtualClock()
    const counted = countSpawns(kind.executor('does-not-exist.worker.mjs'))
    const pool = openPool({ executor: counted.executor, concurrency: 1, maxStartFailures: 3, clock })
    // Each failed start is reported on 'error', then its retry scheduled: from there, move
    // the pool's clock 1 ms at a time until the next spawn, and note how long that took.
    const gaps: number[] = []
    const stepping: Promise<void>[] = []
    pool.on('error', () => {
      setImmediate(() => {
        stepping.push(
          (async () => {
            const before = counted.spawns
            let waited = 0
            while (counted.spawns === before && clock.pending > 0) {
              await clock.advance(1)
              waited++
            }
            if (counted.spawns > before) gaps.push(waited)
          })(),
        )
      })
    })
    await rejectionOf(pool.ready())
    await Promise.all(stepping) // a failed advance fails the test here
    // 100 ms, then 200 ms between the three attempts.
    expect(gaps).toEqual([100, 200])
    // The next backoff would be 400 ms: nothing is scheduled, and moving past it respawns nothing.
    expect(clock.pending).toBe(0)
    await clock.advance(1_000)
    expect(counted.spawns).toBe(3)
    expect(pool.stats().workers.total).toBe(0)
  })

  it('replaces a worker that stops answering its heartbeat (unresponsiveTimeout: 200) and fails its task with WorkerExitError', async () => {
    const events = recordWorkers()
    const pool = openPool({
      executor: kind.executor('tasks.worker.mjs', { unresponsiveTimeout: 200 }),
      concurrency: 1,
      observers: [events.observer],
    })
    await pool.ready()
    const errors = recordErrors(pool)
    const before = await pool.run(null, { name: 'identity' })
    const error = await rejectionOf(pool.run(null, { name: 'spin' }))
    expect(error).toBeInstanceOf(WorkerExitError)
    expect(String(error.cause?.message)).toMatch(/heartbeat/)
    expect(events.exited.map((e) => e.reason)).toEqual(['unresponsive'])
    expect(errors.some((e) => e instanceof WorkerExitError)).toBe(true)
    await expect(pool.run(null, { name: 'identity' })).resolves.not.toBe(before)
    expect(pool.stats().workers.total).toBe(1)
  })
})
