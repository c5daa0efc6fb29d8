import { describe, expect, it, vi } from 'vitest'
import { PoolClosedError, TaskTimeoutError, WorkerExitError } from '@poolkit/core'
import { kinds, openPool, recordErrors, recordWorkers, rejectionOf } from './support.js'

describe.each(kinds)('timeouts and cancellation on $name', (kind) => {
  it('times out a synchronous busy loop (timeout: 100) with TaskTimeoutError, terminates its worker and replaces it', async () => {
    const events = recordWorkers()
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs'), concurrency: 2, observers: [events.observer] })
    await pool.ready()
    const errors = recordErrors(pool)
    const startedAt = performance.now()
    const error = await rejectionOf(pool.run(null, { name: 'spin', timeout: 100 }))
    expect(error).toBeInstanceOf(TaskTimeoutError)
    expect(error.timeoutMs).toBe(100)
    // The caller hears at the timeout, not when the loop would end (never).
    expect(performance.now() - startedAt).toBeLessThan(2000)
    await vi.waitFor(() => expect(events.exited).toHaveLength(1), { timeout: 5000 })
    expect(events.exited[0]!.reason).toBe('stopped')
    await vi.waitFor(() => expect(pool.stats().workers).toMatchObject({ total: 2, idle: 2, starting: 0 }), { timeout: 5000 })
    await expect(pool.run(3, { name: 'echo' })).resolves.toBe(3)
    // Stopping a worker to end a task is routine, not a failure of the pool.
    expect(errors).toEqual([])
  })

  it('aborts a synchronous busy loop through its signal by terminating the worker, and serves the next task', async () => {
    const events = recordWorkers()
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs'), concurrency: 1, observers: [events.observer] })
    await pool.ready()
    const controller = new AbortController()
    const running = pool.run(null, { name: 'spin', signal: controller.signal })
    // Let the loop start in the worker before aborting it.
    await vi.waitFor(() => expect(pool.stats().running).toBe(1))
    const reason = new Error('user cancelled')
    controller.abort(reason)
    await expect(running).rejects.toBe(reason)
    await expect(pool.run('next', { name: 'echo' })).resolves.toBe('next')
    expect(events.exited.map((e) => e.reason)).toEqual(['stopped'])
  })

  it('lets a cooperative task see its signal abort and settle, without replacing its worker', async () => {
    const events = recordWorkers()
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs'), concurrency: 1, observers: [events.observer] })
    await pool.ready()
    const errors = recordErrors(pool)
    const before = (await pool.run(null, { name: 'abortsSeen' })) as { abortsSeen: number; worker: string }
    expect(before.abortsSeen).toBe(0)
    const controller = new AbortController()
    const waiting = pool.run(null, { name: 'waitForAbort', signal: controller.signal })
    const reason = new Error('no longer needed')
    controller.abort(reason)
    await expect(waiting).rejects.toBe(reason)
    // Same worker, and it saw the abort.
    await expect(pool.run(null, { name: 'abortsSeen' })).resolves.toEqual({ abortsSeen: 1, worker: before.worker })
    expect(events.exited).toEqual([])
    expect(events.started).toHaveLength(1)
    expect(errors).toEqual([])
  })

  it('times out a cooperative task through its signal without replacing its worker', async () => {
    const events = recordWorkers()
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs'), concurrency: 1, observers: [events.observer] })
    await pool.ready()
    const before = (await pool.run(null, { name: 'abortsSeen' })) as { worker: string }
    await expect(pool.run(null, { name: 'waitForAbort', timeout: 100 })).rejects.toBeInstanceOf(TaskTimeoutError)
    // The worker's result (its rejection) frees the slot; the next task runs on the same worker.
    await expect(pool.run(null, { name: 'abortsSeen' })).resolves.toEqual({ abortsSeen: 1, worker: before.worker })
    expect(events.exited).toEqual([])
  })

  it('drops an aborted task still waiting in the worker inbox without terminating the worker', async () => {
    const events = recordWorkers()
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs'), concurrency: 1, observers: [events.observer] })
    await pool.ready()
    const errors = recordErrors(pool)
    const worker = await pool.run(null, { name: 'identity' })
    // One worker, one task at a time: the second task is sent ahead (prefetch) and waits in the worker's inbox.
    const first = pool.run(150, { name: 'sleep' })
    const controller = new AbortController()
    const queued = pool.run({ late: true }, { name: 'tagged', signal: controller.signal })
    expect(pool.stats().running).toBe(2)
    const reason = new Error('cancelled while waiting')
    controller.abort(reason)
    await expect(queued).rejects.toBe(reason)
    await expect(first).resolves.toBe(150)
    await expect(pool.run(null, { name: 'identity' })).resolves.toBe(worker)
    expect(events.exited).toEqual([])
    expect(errors).toEqual([])
    expect(pool.stats().counters).toMatchObject({ cancelled: 1, completed: 3 })
  })

  it('never starts a task aborted before it reaches a worker', async () => {
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs', { prefetch: 0 }), concurrency: 1 })
    await pool.ready()
    const first = pool.run(100, { name: 'sleep' })
    const controller = new AbortController()
    const queued = pool.run(null, { name: 'exit', signal: controller.signal })
    expect(pool.stats().queued).toBe(1)
    controller.abort()
    await expect(queued).rejects.toMatchObject({ name: 'AbortError' })
    await expect(first).resolves.toBe(100)
    expect(pool.stats().workers.total).toBe(1)
  })

  it('fails the running tasks of a destroyed pool with PoolClosedError and stops the worker', async () => {
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs'), concurrency: 1 })
    await pool.ready()
    const hanging = rejectionOf(pool.run(null, { name: 'hang' }))
    await vi.waitFor(() => expect(pool.stats().running).toBe(1))
    const report = await pool.destroy()
    expect(await hanging).toBeInstanceOf(PoolClosedError)
    expect(report.aborted).toHaveLength(1)
    expect(pool.stats().workers.total).toBe(0)
  })

  it('rejects an aborted non-cooperative async task with the abort reason, not WorkerExitError, and serves the next task', async () => {
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs'), concurrency: 1 })
    await pool.ready()
    const controller = new AbortController()
    const hanging = pool.run(null, { name: 'hang', signal: controller.signal })
    controller.abort('stop')
    const error = await rejectionOf(hanging)
    expect(error).toBe('stop')
    expect(error).not.toBeInstanceOf(WorkerExitError)
    await expect(pool.run(1, { name: 'echo' })).resolves.toBe(1)
  })
})
