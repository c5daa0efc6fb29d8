import { afterEach, describe, expect, it, vi } from 'vitest'
import { concurrencyFromEnv, createDefaultQueue, createPool, createVirtualClock, ErrorCode, isPoolError, Priority, QueueFullError, TaskDroppedError } from '../src/index.js'
import type { PoolOptions, RunOptions, TaskContext, TaskInfo, TaskQueue, TaskResult } from '../src/index.js'
import { controlled, gate, sleep, tick, track } from './support.js'

// ---------------------------------------------------------------- helpers

/** A default queue whose evict() throws `error` (a user's TaskQueue with a bug). */
function throwingEvict(error: Error): TaskQueue {
  const inner = createDefaultQueue()
  return {
    get size() {
      return inner.size
    },
    push: (task) => inner.push(task),
    shift: () => inner.shift(),
    remove: (task) => inner.remove(task),
    clear: () => inner.clear(),
    evict: () => {
      throw error
    },
  }
}

// ---------------------------------------------------------------- run()

describe('run()', () => {
  it('resolves to the value a synchronous handler returns', async () => {
    const pool = createPool({ handler: (x: number) => x * 2 })
    await expect(pool.run(21)).resolves.toBe(42)
    await pool.close()
  })

  it('resolves to the value an async handler resolves to', async () => {
    const clock = createVirtualClock()
    const pool = createPool({
      clock,
      handler: async (s: string) => {
        await sleep(clock, 10)
        return s.toUpperCase()
      },
    })
    const result = track(pool.run('abc'))
    await clock.advance(9)
    expect(result.status).toBe('pending')
    await clock.advance(1)
    expect(result).toMatchObject({ status: 'fulfilled', value: 'ABC' })
    await pool.close()
  })

  it('passes the handler a context with the task id, attempt 1, key and name', async () => {
    const seen: { id: number; attempt: number; key: string | undefined; name: string | undefined }[] = []
    const pool = createPool({
      handler: (_x: number, ctx: TaskContext) => {
        seen.push({ id: ctx.id, attempt: ctx.attempt, key: ctx.key, name: ctx.name })
        return null
      },
    })
    await pool.run(1, { key: 'tenant-a', name: 'resize' })
    await pool.run(2)
    expect(seen).toEqual([
      { id: 1, attempt: 1, key: 'tenant-a', name: 'resize' },
      { id: 2, attempt: 1, key: undefined, name: undefined },
    ])
    await pool.close()
  })

  it('gives each task a distinct id, increasing in submission order', async () => {
    const ids: number[] = []
    const pool = createPool({
      concurrency: 3,
      handler: (_x: number, ctx: TaskContext) => {
        ids.push(ctx.id)
      },
    })
    await Promise.all([pool.run(1), pool.run(2), pool.run(3), pool.run(4)])
    expect(ids).toEqual([1, 2, 3, 4])
    await pool.close()
  })

  it('rejects only the task whose handler throws synchronously, and keeps serving', async () => {
    const boom = new Error('boom')
    const pool = createPool({
      handler: (x: number) => {
        if (x === 2) throw boom
        return x
      },
    })
    const results = await Promise.allSettled([pool.run(1), pool.run(2), pool.run(3)])
    expect(results).toEqual([
      { status: 'fulfilled', value: 1 },
      { status: 'rejected', reason: boom },
      { status: 'fulfilled', value: 3 },
    ])
    await expect(pool.run(4)).resolves.toBe(4)
    expect(pool.stats().counters).toMatchObject({ submitted: 4, completed: 3, failed: 1 })
    await pool.close()
  })

  it('rejects only the task whose handler rejects, while tasks running beside it complete', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 3 })
    const a = track(pool.run(1))
    const b = track(pool.run(2))
    const d = track(pool.run(3))
    await Promise.resolve()
    const failure = new Error('task 2 failed')
    c.fail(2, failure)
    c.release(1)
    c.release(3)
    await pool.onIdle()
    await Promise.resolve()
    expect(a).toMatchObject({ status: 'fulfilled', value: 10 })
    expect(b).toMatchObject({ status: 'rejected', error: failure })
    expect(d).toMatchObject({ status: 'fulfilled', value: 30 })
    // The slot of the failed task is reused.
    const next = pool.run(4)
    c.release(4)
    await expect(next).resolves.toBe(40)
    await pool.close()
  })

  it('passes a non-Error thrown value to the caller unchanged', async () => {
    const thrown = { reason: 'not an Error' }
    const pool = createPool({
      handler: () => {
        throw thrown
      },
    })
    await expect(pool.run(1)).rejects.toBe(thrown)
    await pool.close()
  })

  it('keeps serving after many consecutive failures', async () => {
    const pool = createPool({
      concurrency: 2,
      handler: async (x: number) => {
        if (x < 50) throw new Error(`fail ${x}`)
        return x
      },
    })
    const failures = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => pool.run(i)))
    expect(failures.every((r) => r.status === 'rejected')).toBe(true)
    await expect(pool.run(50)).resolves.toBe(50)
    expect(pool.stats().counters).toMatchObject({ failed: 50, completed: 1 })
    await pool.close()
  })
})

// ---------------------------------------------------------------- priority

describe('priority', () => {
  it('exports the named priorities Low 0, Normal 1, High 2, Critical 3', () => {
    expect(Priority).toEqual({ Low: 0, Normal: 1, High: 2, Critical: 3 })
  })

  it('starts higher priorities first and keeps equal priorities in arrival order', async () => {
    const order: string[] = []
    const pool = createPool({
      concurrency: 1,
      paused: true,
      handler: (label: string) => {
        order.push(label)
      },
    })
    const runs = [
      pool.run('low-1', { priority: Priority.Low }),
      pool.run('high-1', { priority: Priority.High }),
      pool.run('normal-1', { priority: Priority.Normal }),
      pool.run('critical-1', { priority: Priority.Critical }),
      pool.run('high-2', { priority: Priority.High }),
      pool.run('low-2', { priority: Priority.Low }),
      pool.run('critical-2', { priority: Priority.Critical }),
      pool.run('normal-2', { priority: Priority.Normal }),
    ]
    pool.resume()
    await Promise.all(runs)
    expect(order).toEqual(['critical-1', 'critical-2', 'high-1', 'high-2', 'normal-1', 'normal-2', 'low-1', 'low-2'])
    await pool.close()
  })

  it('gives a task without a priority Priority.Normal, FIFO with explicit Normal tasks', async () => {
    const order: string[] = []
    const pool = createPool({
      concurrency: 1,
      paused: true,
      handler: (label: string) => {
        order.push(label)
      },
    })
    const runs = [
      pool.run('low', { priority: Priority.Low }),
      pool.run('default-1'),
      pool.run('normal', { priority: Priority.Normal }),
      pool.run('default-2', {}),
      pool.run('high', { priority: Priority.High }),
    ]
    pool.resume()
    await Promise.all(runs)
    expect(order).toEqual(['high', 'default-1', 'normal', 'default-2', 'low'])
    await pool.close()
  })

  it('accepts any finite number as a priority: negative, fractional and large', async () => {
    const order: number[] = []
    const pool = createPool({
      concurrency: 1,
      paused: true,
      handler: (p: number) => {
        order.push(p)
      },
    })
    const priorities = [0.5, -3, 1e9, -0.25, 2.75, -1e9, 0, 7, 0.5]
    const runs = priorities.map((p) => pool.run(p, { priority: p }))
    pool.resume()
    await Promise.all(runs)
    expect(order).toEqual([1e9, 7, 2.75, 0.5, 0.5, 0, -0.25, -3, -1e9])
    await pool.close()
  })

  it('does not preempt a running task: a higher priority waits for a free worker', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 1 })
    const low = track(pool.run(1, { priority: Priority.Low }))
    const critical = track(pool.run(2, { priority: Priority.Critical }))
    await Promise.resolve()
    expect(c.started).toEqual([1])
    c.release(1)
    await tick()
    expect(c.started).toEqual([1, 2])
    c.release(2)
    await pool.onIdle()
    await Promise.resolve()
    expect(low.status).toBe('fulfilled')
    expect(critical.status).toBe('fulfilled')
    await pool.close()
  })
})

// ---------------------------------------------------------------- maxQueue: 'reject'

describe("maxQueue with onQueueFull 'reject'", () => {
  it('rejects a task at once with QueueFullError when maxQueue tasks are queued', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 1, maxQueue: 2, onQueueFull: 'reject' })
    const running = track(pool.run(1))
    const q1 = track(pool.run(2))
    const q2 = track(pool.run(3))
    const refused = track(pool.run(4))
    // Settles on the next microtasks, with no clock or worker activity.
    await Promise.resolve()
    await Promise.resolve()
    expect(refused.status).toBe('rejected')
    expect(refused.error).toBeInstanceOf(QueueFullError)
    expect(isPoolError(refused.error)).toBe(true)
    expect((refused.error as QueueFullError).code).toBe('ERR_POOL_QUEUE_FULL')
    expect((refused.error as QueueFullError).code).toBe(ErrorCode.QueueFull)
    expect((refused.error as QueueFullError).limit).toBe(2)
    expect(pool.stats().queued).toBe(2)
    expect(pool.stats().counters.rejected).toBe(1)
    // The accepted tasks are untouched and the refused one never ran.
    c.release(1)
    await tick()
    c.release(2)
    await tick()
    c.release(3)
    await pool.onIdle()
    await Promise.resolve()
    expect(c.started).toEqual([1, 2, 3])
    expect([running.status, q1.status, q2.status]).toEqual(['fulfilled', 'fulfilled', 'fulfilled'])
    await pool.close()
  })

  it('is the default policy when maxQueue is set', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 1, maxQueue: 1 })
    const first = pool.run(1)
    const second = pool.run(2)
    await expect(pool.run(3)).rejects.toBeInstanceOf(QueueFullError)
    c.release(1)
    await first
    c.release(2)
    await second
    await pool.close()
  })

  it('accepts tasks again once the queue has room', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 1, maxQueue: 1 })
    const first = pool.run(1)
    const second = pool.run(2)
    await expect(pool.run(3)).rejects.toBeInstanceOf(QueueFullError)
    c.release(1)
    await first
    // Task 2 left the queue to run: there is room for one more.
    const fourth = pool.run(4)
    expect(pool.stats().queued).toBe(1)
    c.release(2)
    await second
    c.release(4)
    await expect(fourth).resolves.toBe(40)
    await pool.close()
  })

  it('with maxQueue 0 runs a task on a free worker and refuses one when every worker is busy', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 2, maxQueue: 0 })
    const a = pool.run(1)
    const b = pool.run(2)
    await expect(pool.run(3)).rejects.toBeInstanceOf(QueueFullError)
    expect(c.started).toEqual([1, 2])
    c.release(1)
    c.release(2)
    await expect(Promise.all([a, b])).resolves.toEqual([10, 20])
    await pool.close()
  })

  it('does not count running tasks against maxQueue', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 3, maxQueue: 1 })
    const runs = [pool.run(1), pool.run(2), pool.run(3), pool.run(4)]
    expect(pool.stats()).toMatchObject({ running: 3, queued: 1 })
    expect(pool.stats().counters.rejected).toBe(0)
    for (const i of [1, 2, 3]) c.release(i)
    await tick()
    c.release(4)
    await expect(Promise.all(runs)).resolves.toEqual([10, 20, 30, 40])
    await pool.close()
  })
})

// ---------------------------------------------------------------- maxQueue: 'drop-oldest'

describe("maxQueue with onQueueFull 'drop-oldest'", () => {
  it('rejects the oldest queued task with TaskDroppedError and queues the new one', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 1, maxQueue: 2, onQueueFull: 'drop-oldest' })
    const running = track(pool.run(1))
    const oldest = track(pool.run(2))
    const middle = track(pool.run(3))
    const newest = track(pool.run(4))
    await Promise.resolve()
    await Promise.resolve()
    expect(oldest.status).toBe('rejected')
    expect(oldest.error).toBeInstanceOf(TaskDroppedError)
    expect((oldest.error as TaskDroppedError).code).toBe('ERR_POOL_TASK_DROPPED')
    expect(isPoolError(oldest.error)).toBe(true)
    expect(pool.stats().queued).toBe(2)
    expect(pool.stats().counters.rejected).toBe(1)
    c.release(1)
    await tick()
    c.release(3)
    await tick()
    c.release(4)
    await pool.onIdle()
    await Promise.resolve()
    // The running task was not touched; the dropped one never ran.
    expect(c.started).toEqual([1, 3, 4])
    expect(running).toMatchObject({ status: 'fulfilled', value: 10 })
    expect(middle).toMatchObject({ status: 'fulfilled', value: 30 })
    expect(newest).toMatchObject({ status: 'fulfilled', value: 40 })
    await pool.close()
  })

  it('drops the task queued longest even when it has the highest priority', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 1, maxQueue: 2, onQueueFull: 'drop-oldest' })
    const running = pool.run(1)
    const oldCritical = track(pool.run(2, { priority: Priority.Critical }))
    const low = track(pool.run(3, { priority: Priority.Low }))
    const incoming = track(pool.run(4, { priority: Priority.Normal }))
    await Promise.resolve()
    await Promise.resolve()
    expect(oldCritical.status).toBe('rejected')
    expect(oldCritical.error).toBeInstanceOf(TaskDroppedError)
    expect(low.status).toBe('pending')
    expect(incoming.status).toBe('pending')
    c.release(1)
    await running
    await tick()
    // Among what is left, priority still decides the order.
    expect(c.started).toEqual([1, 4])
    c.release(4)
    await tick()
    c.release(3)
    await pool.onIdle()
    expect(c.started).toEqual([1, 4, 3])
    await pool.close()
  })

  it('keeps dropping in arrival order as more tasks arrive', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 1, maxQueue: 1, onQueueFull: 'drop-oldest' })
    const running = pool.run(0)
    const tasks = [1, 2, 3, 4].map((i) => track(pool.run(i)))
    await Promise.resolve()
    await Promise.resolve()
    expect(tasks.map((t) => t.status)).toEqual(['rejected', 'rejected', 'rejected', 'pending'])
    expect(pool.stats().counters).toMatchObject({ submitted: 5, rejected: 3 })
    c.release(0)
    await running
    await tick()
    c.release(4)
    await pool.onIdle()
    expect(c.started).toEqual([0, 4])
    await pool.close()
  })

  it("run() rejects with the error a custom queue's evict() throws", async () => {
    const c = controlled()
    const evictFailed = new Error('evict failed')
    const pool = createPool({ handler: c.handler, concurrency: 1, maxQueue: 1, onQueueFull: 'drop-oldest', queue: throwingEvict(evictFailed) })
    const running = pool.run(1)
    const queued = track(pool.run(2))
    const result = track(pool.run(3))
    await Promise.resolve()
    expect(result).toMatchObject({ status: 'rejected', error: evictFailed })
    expect(queued.status).toBe('pending')
    c.release(1)
    await running
    await tick()
    c.release(2)
    await pool.close()
    expect(queued).toMatchObject({ status: 'fulfilled', value: 20 })
  })

  it("submit() calls back with the error a custom queue's evict() throws instead of throwing it to the caller, as run() rejects with it", async () => {
    const c = controlled()
    const evictFailed = new Error('evict failed')
    const pool = createPool({ handler: c.handler, concurrency: 1, maxQueue: 1, onQueueFull: 'drop-oldest', queue: throwingEvict(evictFailed) })
    const running = pool.run(1)
    const queued = track(pool.run(2))
    const callback = vi.fn()
    let id = 0
    expect(() => (id = pool.submit(3, callback))).not.toThrow()
    expect(id).toBeGreaterThan(0)
    expect(callback).toHaveBeenCalledTimes(1)
    expect(callback).toHaveBeenCalledWith({ id, ok: false, error: evictFailed, waitMs: 0, runMs: 0, attempts: 0 })
    expect(queued.status).toBe('pending')
    c.release(1)
    await running
    await tick()
    c.release(2)
    await pool.close()
    expect(queued).toMatchObject({ status: 'fulfilled', value: 20 })
    expect(callback).toHaveBeenCalledTimes(1)
  })

  it('with maxQueue 0 refuses the new task with QueueFullError, as there is nothing to drop', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 1, maxQueue: 0, onQueueFull: 'drop-oldest' })
    const running = pool.run(1)
    await expect(pool.run(2)).rejects.toBeInstanceOf(QueueFullError)
    c.release(1)
    await running
    await pool.close()
  })

  it("keeps the queue within maxQueue when a dropped task's callback submits another task ('drop-oldest')", async () => {
    const clock = createVirtualClock()
    const g = gate<number>()
    const pool = createPool({ handler: () => g.promise, clock, maxQueue: 1, onQueueFull: 'drop-oldest' })
    const results: TaskResult<number>[] = []
    const running = track(pool.run(0)) // takes the only worker
    pool.submit(1, (r) => {
      results.push(r)
      // The victim's callback resubmits, re-entering admission while the new task is being admitted.
      pool.submit(3, (r3) => results.push(r3))
    })
    pool.submit(2, (r) => results.push(r)) // drops 1
    expect(pool.stats().queued).toBeLessThanOrEqual(1)
    await pool.destroy()
    await clock.flush()
    expect(running.status).toBe('rejected')
  })
})

// ---------------------------------------------------------------- maxQueue: 'wait'

describe("maxQueue with onQueueFull 'wait'", () => {
  it('makes the caller wait for room, then queues and runs its task', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 1, maxQueue: 1, onQueueFull: 'wait' })
    const running = pool.run(1)
    const queued = pool.run(2)
    const waiting = track(pool.run(3))
    await tick()
    expect(waiting.status).toBe('pending')
    expect(pool.stats()).toMatchObject({ queued: 1, waitingForRoom: 1 })
    c.release(1)
    await running
    await tick()
    // Task 2 started, so task 3 moved from the wait line into the queue.
    expect(pool.stats()).toMatchObject({ queued: 1, waitingForRoom: 0 })
    c.release(2)
    await queued
    await tick()
    c.release(3)
    await pool.onIdle()
    await Promise.resolve()
    expect(waiting).toMatchObject({ status: 'fulfilled', value: 30 })
    expect(c.started).toEqual([1, 2, 3])
    expect(pool.stats().counters.rejected).toBe(0)
    await pool.close()
  })

  it('rejects a waiting caller with QueueFullError once queueWaitTimeout passes on the clock, not before', async () => {
    const clock = createVirtualClock()
    const c = controlled()
    const pool = createPool({ clock, handler: c.handler, concurrency: 1, maxQueue: 1, onQueueFull: 'wait', queueWaitTimeout: 500 })
    const running = pool.run(1)
    const queued = pool.run(2)
    const waiting = track(pool.run(3))
    await clock.advance(499)
    expect(waiting.status).toBe('pending')
    await clock.advance(1)
    expect(waiting.status).toBe('rejected')
    expect(waiting.error).toBeInstanceOf(QueueFullError)
    expect((waiting.error as QueueFullError).code).toBe('ERR_POOL_QUEUE_FULL')
    expect(pool.stats()).toMatchObject({ waitingForRoom: 0, queued: 1 })
    expect(pool.stats().counters.rejected).toBe(1)
    expect(c.started).toEqual([1])
    c.release(1)
    await running
    await clock.flush()
    c.release(2)
    await queued
    await pool.onIdle()
    expect(c.started).toEqual([1, 2])
    await pool.close()
  })

  it('does not time out a caller that got room before queueWaitTimeout, however long it then queues', async () => {
    const clock = createVirtualClock()
    const c = controlled()
    const pool = createPool({ clock, handler: c.handler, concurrency: 1, maxQueue: 1, onQueueFull: 'wait', queueWaitTimeout: 100 })
    const first = pool.run(1)
    const second = pool.run(2)
    const third = track(pool.run(3))
    await clock.advance(50)
    c.release(1)
    await first
    await clock.flush()
    expect(pool.stats()).toMatchObject({ waitingForRoom: 0, queued: 1 })
    // Task 3 is now in the queue behind task 2; its wait timer must be gone.
    await clock.advance(1000)
    expect(third.status).toBe('pending')
    c.release(2)
    await second
    await clock.flush()
    c.release(3)
    await pool.onIdle()
    await clock.flush()
    expect(third).toMatchObject({ status: 'fulfilled', value: 30 })
    await pool.close()
  })

  it('admits waiting callers in arrival order as room frees', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 1, maxQueue: 1, onQueueFull: 'wait' })
    const runs = [pool.run(1), pool.run(2)]
    // Waiters, the later ones with higher priority: admission into the queue is still FIFO.
    runs.push(pool.run(3, { priority: Priority.Low }))
    runs.push(pool.run(4, { priority: Priority.Normal }))
    runs.push(pool.run(5, { priority: Priority.Critical }))
    expect(pool.stats().waitingForRoom).toBe(3)
    for (let i = 1; i <= 5; i++) {
      await tick()
      expect(c.started.at(-1)).toBe(i)
      c.release(i)
    }
    await Promise.all(runs)
    expect(c.started).toEqual([1, 2, 3, 4, 5])
    await pool.close()
  })

  it('rejects a waiting caller whose signal aborts with the signal reason; it never runs', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 1, maxQueue: 1, onQueueFull: 'wait' })
    const running = pool.run(1)
    const queued = pool.run(2)
    const controller = new AbortController()
    const waiting = track(pool.run(3, { signal: controller.signal }))
    const after = pool.run(4)
    expect(pool.stats().waitingForRoom).toBe(2)
    const reason = new Error('caller gave up')
    controller.abort(reason)
    await Promise.resolve()
    expect(waiting).toMatchObject({ status: 'rejected', error: reason })
    expect(pool.stats().waitingForRoom).toBe(1)
    expect(pool.stats().counters.cancelled).toBe(1)
    c.release(1)
    await running
    await tick()
    c.release(2)
    await queued
    await tick()
    c.release(4)
    await after
    expect(c.started).toEqual([1, 2, 4])
    await pool.close()
  })

  it('with maxQueue 0 starts a waiting caller as soon as a worker frees', async () => {
    const clock = createVirtualClock()
    const c = controlled()
    const pool = createPool({ clock, handler: c.handler, concurrency: 1, maxQueue: 0, onQueueFull: 'wait', queueWaitTimeout: 1000 })
    const running = pool.run(1)
    const waiting = track(pool.run(2))
    await clock.flush()
    expect(pool.stats().waitingForRoom).toBe(1)
    c.release(1)
    await running
    await clock.advance(10)
    expect(c.started).toEqual([1, 2])
    c.release(2)
    await clock.advance(10)
    expect(waiting).toMatchObject({ status: 'fulfilled', value: 20 })
    await pool.close()
  })

  it('refuses waiting callers with PoolClosedError when the pool closes', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 1, maxQueue: 1, onQueueFull: 'wait' })
    const running = pool.run(1)
    const queued = pool.run(2)
    const waiting = track(pool.run(3))
    const closing = pool.close()
    await Promise.resolve()
    expect(waiting.status).toBe('rejected')
    expect((waiting.error as { code?: string }).code).toBe('ERR_POOL_CLOSED')
    c.release(1)
    await running
    await tick()
    c.release(2)
    await queued
    await closing
    expect(c.started).toEqual([1, 2])
  })
})

// ---------------------------------------------------------------- drain

describe("the 'drain' event", () => {
  it('fires when the queue falls below drainThreshold after reaching it', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 1, drainThreshold: 3 })
    const drains: number[] = []
    pool.on('drain', () => drains.push(pool.stats().queued))
    const runs = [1, 2, 3, 4].map((i) => pool.run(i))
    expect(pool.stats().queued).toBe(3)
    expect(drains).toEqual([])
    c.release(1)
    await tick()
    // Task 2 left the queue: 3 -> 2, below the threshold.
    expect(drains).toEqual([2])
    c.release(2)
    await tick()
    c.release(3)
    await tick()
    c.release(4)
    await Promise.all(runs)
    // It does not fire again without reaching the threshold again.
    expect(drains).toEqual([2])
    await pool.close()
  })

  it('fires when the queue empties, with the default threshold of 1', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 1 })
    const onDrain = vi.fn()
    pool.on('drain', onDrain)
    const runs = [pool.run(1), pool.run(2), pool.run(3)]
    c.release(1)
    await tick()
    expect(onDrain).not.toHaveBeenCalled()
    c.release(2)
    await tick()
    expect(onDrain).toHaveBeenCalledTimes(1)
    expect(pool.stats().queued).toBe(0)
    c.release(3)
    await Promise.all(runs)
    expect(onDrain).toHaveBeenCalledTimes(1)
    await pool.close()
  })

  it('does not fire when the queue never reached the threshold', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 1, drainThreshold: 5 })
    const onDrain = vi.fn()
    pool.on('drain', onDrain)
    const runs = [1, 2, 3].map((i) => pool.run(i))
    for (const i of [1, 2, 3]) {
      c.release(i)
      await tick()
    }
    await Promise.all(runs)
    expect(onDrain).not.toHaveBeenCalled()
    await pool.close()
  })

  it('fires once per fill: reaching the threshold again re-arms it', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 1, drainThreshold: 2 })
    const onDrain = vi.fn()
    pool.on('drain', onDrain)
    const first = [1, 2, 3].map((i) => pool.run(i))
    c.release(1)
    await tick()
    expect(onDrain).toHaveBeenCalledTimes(1)
    const second = [4, 5].map((i) => pool.run(i)) // task 2 runs; queue: 3, 4, 5
    expect(pool.stats().queued).toBe(3)
    c.release(2)
    await tick()
    expect(onDrain).toHaveBeenCalledTimes(1) // 3 -> 2 is not below 2
    c.release(3)
    await tick()
    expect(onDrain).toHaveBeenCalledTimes(2) // 2 -> 1
    c.release(4)
    await tick()
    c.release(5)
    await Promise.all([...first, ...second])
    expect(onDrain).toHaveBeenCalledTimes(2)
    await pool.close()
  })

  it('fires when cancellations empty the queue', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 1 })
    const onDrain = vi.fn()
    pool.on('drain', onDrain)
    const running = pool.run(1)
    const controller = new AbortController()
    const queued = track(pool.run(2, { signal: controller.signal }))
    expect(pool.stats().queued).toBe(1)
    controller.abort(new Error('no longer needed'))
    await Promise.resolve()
    expect(queued.status).toBe('rejected')
    expect(pool.stats().queued).toBe(0)
    expect(onDrain).toHaveBeenCalledTimes(1)
    c.release(1)
    await running
    await pool.close()
  })

  it('stops calling a listener after its unsubscribe function runs', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 1 })
    const onDrain = vi.fn()
    const off = pool.on('drain', onDrain)
    off()
    const runs = [pool.run(1), pool.run(2)]
    c.release(1)
    await tick()
    c.release(2)
    await Promise.all(runs)
    expect(onDrain).not.toHaveBeenCalled()
    await pool.close()
  })
})

// ---------------------------------------------------------------- pause / resume

describe('pause() and resume()', () => {
  it('queues tasks while paused and starts them on resume', async () => {
    const handler = vi.fn((x: number) => x + 1)
    const pool = createPool({ handler, concurrency: 2 })
    pool.pause()
    expect(pool.state).toBe('paused')
    expect(pool.stats().state).toBe('paused')
    const runs = [pool.run(1), pool.run(2), pool.run(3)]
    await tick()
    expect(handler).not.toHaveBeenCalled()
    expect(pool.stats()).toMatchObject({ queued: 3, running: 0 })
    pool.resume()
    expect(pool.state).toBe('open')
    await expect(Promise.all(runs)).resolves.toEqual([2, 3, 4])
    expect(handler).toHaveBeenCalledTimes(3)
    await pool.close()
  })

  it('lets running tasks finish while paused but starts no queued task', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 1 })
    const first = track(pool.run(1))
    const second = track(pool.run(2))
    pool.pause()
    c.release(1)
    await tick()
    expect(first).toMatchObject({ status: 'fulfilled', value: 10 })
    expect(c.started).toEqual([1])
    expect(pool.stats()).toMatchObject({ queued: 1, running: 0 })
    pool.resume()
    await Promise.resolve()
    expect(c.started).toEqual([1, 2])
    c.release(2)
    await pool.onIdle()
    await Promise.resolve()
    expect(second).toMatchObject({ status: 'fulfilled', value: 20 })
    await pool.close()
  })

  it('starts paused with the option paused: true', async () => {
    const handler = vi.fn((x: number) => x)
    const pool = createPool({ handler, paused: true })
    expect(pool.state).toBe('paused')
    const result = pool.run(7)
    await tick()
    expect(handler).not.toHaveBeenCalled()
    pool.resume()
    await expect(result).resolves.toBe(7)
    await pool.close()
  })

  it('treats resume() on a pool that is not paused, and a second pause(), as no-ops', async () => {
    const handler = vi.fn((x: number) => x)
    const pool = createPool({ handler, concurrency: 1 })
    pool.resume()
    expect(pool.state).toBe('open')
    pool.pause()
    pool.pause()
    const result = pool.run(1)
    pool.resume()
    await expect(result).resolves.toBe(1)
    expect(pool.state).toBe('open')
    await pool.close()
  })
})

// ---------------------------------------------------------------- submit()

describe('submit()', () => {
  it('calls back once with { id, ok: true, value, waitMs, runMs, attempts } timed on the clock', async () => {
    const clock = createVirtualClock()
    const pool = createPool({
      clock,
      concurrency: 1,
      handler: async (ms: number) => {
        await sleep(clock, ms)
        return `slept ${ms}`
      },
    })
    const results: TaskResult<string>[] = []
    const id1 = pool.submit(30, (r) => results.push(r))
    const id2 = pool.submit(20, (r) => results.push(r))
    expect(id2).toBeGreaterThan(id1)
    await clock.runAll()
    expect(results).toEqual([
      { id: id1, ok: true, value: 'slept 30', waitMs: 0, runMs: 30, attempts: 1 },
      { id: id2, ok: true, value: 'slept 20', waitMs: 30, runMs: 20, attempts: 1 },
    ])
    await pool.close()
  })

  it('calls back with { ok: false, error } when the handler fails', async () => {
    const clock = createVirtualClock()
    const failure = new Error('nope')
    const pool = createPool({
      clock,
      handler: async () => {
        await sleep(clock, 5)
        throw failure
      },
    })
    const callback = vi.fn()
    const id = pool.submit(1, callback)
    await clock.runAll()
    expect(callback).toHaveBeenCalledTimes(1)
    expect(callback).toHaveBeenCalledWith({ id, ok: false, error: failure, waitMs: 0, runMs: 5, attempts: 1 })
    await pool.close()
  })

  it('reports attempts 0 for a task refused at admission', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 1, maxQueue: 0 })
    const running = pool.run(1)
    const callback = vi.fn()
    const id = pool.submit(2, callback)
    await Promise.resolve()
    expect(callback).toHaveBeenCalledTimes(1)
    const result = callback.mock.calls[0]![0] as TaskResult<number>
    expect(result).toMatchObject({ id, ok: false, attempts: 0, runMs: 0 })
    expect(result.ok === false && result.error).toBeInstanceOf(QueueFullError)
    c.release(1)
    await running
    await pool.close()
  })

  it('returns -1 and calls back with the TypeError when its options are invalid', async () => {
    const handler = vi.fn((x: number) => x)
    const pool = createPool({ handler })
    const callback = vi.fn()
    const id = pool.submit(1, callback, { priority: Number.NaN })
    expect(id).toBe(-1)
    expect(callback).toHaveBeenCalledTimes(1)
    const result = callback.mock.calls[0]![0] as TaskResult<number>
    expect(result.ok).toBe(false)
    const error = (result as { error: unknown }).error
    expect(error).toBeInstanceOf(TypeError)
    expect((error as Error).message).toBe('options.priority must be a finite number, got NaN')
    expect(handler).not.toHaveBeenCalled()
    await pool.close()
  })

  it('reports an error thrown by a callback on the error event and keeps serving', async () => {
    const pool = createPool({ handler: (x: number) => x })
    const errors: unknown[] = []
    pool.on('error', (e) => errors.push(e))
    const oops = new Error('callback bug')
    const done = new Promise<void>((resolve) =>
      pool.submit(1, () => {
        resolve()
        throw oops
      }),
    )
    await done
    expect(errors).toEqual([oops])
    await expect(pool.run(2)).resolves.toBe(2)
    await pool.close()
  })
})

// ---------------------------------------------------------------- option validation

describe('option validation', () => {
  const handler = (x: unknown) => x

  const invalidPoolOptions: [string, Partial<PoolOptions>, ErrorConstructor | RangeErrorConstructor, string][] = [
    ['maxQueue -1', { maxQueue: -1 }, TypeError, 'options.maxQueue must be a non-negative integer or Infinity, got -1'],
    ['maxQueue 1.5', { maxQueue: 1.5 }, TypeError, 'options.maxQueue must be a non-negative integer or Infinity, got 1.5'],
    ['maxQueue "10"', { maxQueue: '10' as unknown as number }, TypeError, 'options.maxQueue must be a non-negative integer or Infinity, got "10"'],
    ['concurrency 0', { concurrency: 0 }, TypeError, 'options.concurrency must be a positive integer, got 0'],
    ['concurrency 2.5', { concurrency: 2.5 }, TypeError, 'options.concurrency must be a positive integer, got 2.5'],
    ['concurrency NaN', { concurrency: Number.NaN }, TypeError, 'options.concurrency must be a positive integer, got NaN'],
    ['onQueueFull "block"', { onQueueFull: 'block' as never }, TypeError, `options.onQueueFull must be one of 'reject', 'drop-oldest', 'wait', got "block"`],
    ['queueWaitTimeout -1', { queueWaitTimeout: -1 }, TypeError, 'options.queueWaitTimeout must be a non-negative number of milliseconds or Infinity, got -1'],
    ['taskTimeout -5', { taskTimeout: -5 }, TypeError, 'options.taskTimeout must be a non-negative number of milliseconds or Infinity, got -5'],
    ['taskTimeout NaN', { taskTimeout: Number.NaN }, TypeError, 'options.taskTimeout must be a non-negative number of milliseconds or Infinity, got NaN'],
    ['drainThreshold 0', { drainThreshold: 0 }, TypeError, 'options.drainThreshold must be a positive integer, got 0'],
    ['retry.attempts 0', { retry: { attempts: 0 } }, TypeError, 'options.retry.attempts must be a positive integer, got 0'],
    ['retry.backoff.initialMs -1', { retry: { backoff: { initialMs: -1 } } }, TypeError, 'options.retry.backoff.initialMs must be a non-negative number of milliseconds or Infinity, got -1'],
    ['retry.backoff.factor 0.5', { retry: { backoff: { factor: 0.5 } } }, TypeError, 'options.retry.backoff.factor must be a number of at least 1, got 0.5'],
    ['retry.backoff.jitter 2', { retry: { backoff: { jitter: 2 } } }, RangeError, 'options.retry.backoff.jitter must be between 0 and 1, got 2'],
    ['retry.retryIf "yes"', { retry: { retryIf: 'yes' as never } }, TypeError, 'options.retry.retryIf must be a function, got "yes"'],
    ['retry.retryCircuitOpen "yes"', { retry: { retryCircuitOpen: 'yes' as never } }, TypeError, 'options.retry.retryCircuitOpen must be a boolean, got "yes"'],
    ['name 5', { name: 5 as unknown as string }, TypeError, 'options.name must be a string, got 5'],
    ['deadLetter {}', { deadLetter: {} as never }, TypeError, 'options.deadLetter.put must be a function, got undefined'],
    ['observers {}', { observers: {} as never }, TypeError, 'options.observers must be an array, got an object'],
    ['random 0.5', { random: 0.5 as never }, TypeError, 'options.random must be a function, got 0.5'],
  ]

  it.each(invalidPoolOptions)('createPool throws for %s, naming the option and the value', (_label, bad, kind, message) => {
    const build = () => createPool({ handler, ...bad })
    expect(build).toThrowError(kind)
    expect(build).toThrowError(message)
  })

  it('throws a RangeError naming both options when retry.backoff.initialMs exceeds maxMs', () => {
    const build = () => createPool({ handler, retry: { backoff: { initialMs: 500, maxMs: 100 } } })
    expect(build).toThrowError(RangeError)
    expect(build).toThrowError(/options\.retry\.backoff\.initialMs \(500\).*options\.retry\.backoff\.maxMs \(100\)/)
  })

  it('throws a RangeError when both handler and executor are given', () => {
    const executor = { kind: 'x', spawn: () => ({ id: 1, run: async () => 1, terminate: async () => {} }) }
    const build = () => createPool({ handler, executor })
    expect(build).toThrowError(RangeError)
    expect(build).toThrowError(/options\.handler.*options\.executor/)
  })

  it('throws a TypeError when neither handler nor executor is given', () => {
    expect(() => createPool({})).toThrowError(TypeError)
    expect(() => createPool({})).toThrowError(/options\.handler or options\.executor/)
  })

  it('throws a TypeError naming options.handler and its value when the handler is not a function', () => {
    const build = () => createPool({ handler: 42 as never })
    expect(build).toThrowError(TypeError)
    expect(build).toThrowError('options.handler must be a function, got 42')
  })

  it('throws a TypeError when the options are not an object', () => {
    expect(() => createPool(null as never)).toThrowError(new TypeError('options must be an object, got null'))
  })

  it('accepts maxQueue Infinity and a zero queueWaitTimeout', async () => {
    const pool = createPool({ handler, maxQueue: Infinity, onQueueFull: 'wait', queueWaitTimeout: 0 })
    await expect(pool.run(1)).resolves.toBe(1)
    await pool.close()
  })

  const invalidRunOptions: [string, RunOptions, string][] = [
    ['priority NaN', { priority: Number.NaN }, 'options.priority must be a finite number, got NaN'],
    ['priority Infinity', { priority: Infinity }, 'options.priority must be a finite number, got Infinity'],
    ['priority "high"', { priority: 'high' as never }, 'options.priority must be a finite number, got "high"'],
    ['timeout -1', { timeout: -1 }, 'options.timeout must be a non-negative number of milliseconds or Infinity, got -1'],
    ['key 7', { key: 7 as never }, 'options.key must be a string, got 7'],
    ['name null', { name: null as never }, 'options.name must be a string, got null'],
    ['signal {}', { signal: {} as never }, 'options.signal must be an AbortSignal, got an object'],
    ['transfer "x"', { transfer: 'x' as never }, 'options.transfer must be an array, got "x"'],
    ['labels "x"', { labels: 'x' as never }, 'options.labels must be an object of strings, got "x"'],
    ['labels { provider: 3 }', { labels: { provider: 3 } as never }, 'options.labels.provider must be a string, got 3'],
    ['deadlineMs -1', { deadlineMs: -1 }, 'options.deadlineMs must be a non-negative finite number of milliseconds, got -1'],
    ['deadline "soon"', { deadline: 'soon' as never }, 'options.deadline must be a Date or a finite number of milliseconds since the epoch, got "soon"'],
    ['deadline Invalid Date', { deadline: new Date(Number.NaN) }, 'options.deadline must be a Date or a finite number of milliseconds since the epoch'],
    ['deadline and deadlineMs', { deadline: 1, deadlineMs: 1 }, 'options.deadline and options.deadlineMs: give one, got both (1 and 1)'],
  ]

  it("carries a task's labels to the policies as a frozen copy, and leaves them undefined on a task without", async () => {
    const seen: TaskInfo[] = []
    const pool = createPool({ handler, observers: [{ onSubmitted: (_p, task) => void seen.push(task) }] })
    const labels = { provider: 'openai' }
    await pool.run(1, { key: 'tenant-a', labels })
    labels.provider = 'changed'
    await pool.run(2, { key: 'tenant-a' })
    expect(seen[0]!.labels).toEqual({ provider: 'openai' })
    expect(Object.isFrozen(seen[0]!.labels)).toBe(true)
    expect(seen[1]!.labels).toBeUndefined()
    expect(JSON.parse(JSON.stringify(seen[0]))).toMatchObject({ key: 'tenant-a', labels: { provider: 'openai' } })
    await pool.close()
  })

  it.each(invalidRunOptions)('run() rejects with a TypeError for %s, naming the option and the value; the handler never runs', async (_label, bad, message) => {
    const spy = vi.fn(handler)
    const pool = createPool({ handler: spy })
    const result = pool.run(1, bad)
    await expect(result).rejects.toBeInstanceOf(TypeError)
    await expect(result).rejects.toThrowError(message)
    expect(spy).not.toHaveBeenCalled()
    // The pool is unaffected.
    await expect(pool.run(2)).resolves.toBe(2)
    await pool.close()
  })

  it('run() rejects with a TypeError when the run options are not an object', async () => {
    const pool = createPool({ handler })
    await expect(pool.run(1, 5 as never)).rejects.toThrowError(new TypeError('options must be an object, got 5'))
    await pool.close()
  })
})

// ---------------------------------------------------------------- concurrencyFromEnv

describe('concurrencyFromEnv()', () => {
  const NAME = 'POOLKIT_TEST_CONCURRENCY'
  const saved = process.env[NAME]

  afterEach(() => {
    if (saved === undefined) delete process.env[NAME]
    else process.env[NAME] = saved
  })

  it('returns the fallback when the variable is unset', () => {
    delete process.env[NAME]
    expect(concurrencyFromEnv(NAME, 4)).toBe(4)
  })

  it('returns the fallback when the variable is empty or blank', () => {
    process.env[NAME] = ''
    expect(concurrencyFromEnv(NAME, 3)).toBe(3)
    process.env[NAME] = '   '
    expect(concurrencyFromEnv(NAME, 3)).toBe(3)
  })

  it('reads a positive integer from the variable, ignoring surrounding spaces', () => {
    process.env[NAME] = '12'
    expect(concurrencyFromEnv(NAME, 4)).toBe(12)
    process.env[NAME] = ' 8 '
    expect(concurrencyFromEnv(NAME, 4)).toBe(8)
    process.env[NAME] = '1'
    expect(concurrencyFromEnv(NAME, 4)).toBe(1)
  })

  it.each(['0', '-1', 'abc', '1.5', '2x', '1e3', 'Infinity'])('throws a TypeError naming the variable and the value for %j', (value) => {
    process.env[NAME] = value
    const read = () => concurrencyFromEnv(NAME, 4)
    expect(read).toThrowError(TypeError)
    expect(read).toThrowError(NAME)
    expect(read).toThrowError(JSON.stringify(value))
    expect(read).toThrowError(/positive integer/)
  })

  it('throws a TypeError for an invalid fallback or name', () => {
    delete process.env[NAME]
    expect(() => concurrencyFromEnv(NAME, 0)).toThrowError(TypeError)
    expect(() => concurrencyFromEnv(NAME, 1.5)).toThrowError(TypeError)
    expect(() => concurrencyFromEnv('', 1)).toThrowError(TypeError)
  })

  it('sizes a pool from the environment', async () => {
    process.env[NAME] = '6'
    const pool = createPool({ handler: (x: number) => x, concurrency: concurrencyFromEnv(NAME, 2) })
    expect(pool.stats().concurrency).toBe(6)
    expect(pool.stats().workers.total).toBe(6)
    await pool.close()
  })
})
