import { describe, expect, it, vi } from 'vitest'
import { createPool, createVirtualClock, ErrorCode, isPoolError, TaskTimeoutError } from '../src/index.js'
import type { Breaker, DeadLetter, TaskContext, TaskInfo, TaskResult } from '../src/index.js'
import { controlled, gate, sleep, tick, track } from './support.js'
import type { Tracked } from './support.js'

// ---------------------------------------------------------------- helpers

/** Sleeps on the virtual clock. */
// ---------------------------------------------------------------- cancellation

describe('cancellation', () => {
  it('never starts a task whose signal is already aborted, and rejects it with the signal reason', async () => {
    const handler = vi.fn((x: number) => x)
    const pool = createPool({ handler })
    const reason = new Error('cancelled before submit')
    const signal = AbortSignal.abort(reason)
    await expect(pool.run(1, { signal })).rejects.toBe(reason)
    expect(handler).not.toHaveBeenCalled()
    expect(pool.stats().counters).toMatchObject({ submitted: 1, cancelled: 1, completed: 0 })
    expect(pool.stats().queued).toBe(0)
    await pool.close()
  })

  it('rejects with the default AbortError reason when the signal was aborted without one', async () => {
    const handler = vi.fn((x: number) => x)
    const pool = createPool({ handler })
    const controller = new AbortController()
    controller.abort()
    const result = track(pool.run(1, { signal: controller.signal }))
    await Promise.resolve()
    expect(result.status).toBe('rejected')
    expect(result.error).toBe(controller.signal.reason)
    expect((result.error as Error).name).toBe('AbortError')
    expect(handler).not.toHaveBeenCalled()
    await pool.close()
  })

  it('calls back through submit() with the reason and attempts 0 for an already aborted signal', async () => {
    const handler = vi.fn((x: number) => x)
    const pool = createPool({ handler })
    const reason = 'stop'
    const callback = vi.fn()
    const id = pool.submit(1, callback, { signal: AbortSignal.abort(reason) })
    await Promise.resolve()
    expect(callback).toHaveBeenCalledTimes(1)
    expect(callback).toHaveBeenCalledWith({ id, ok: false, error: reason, waitMs: 0, runMs: 0, attempts: 0 })
    expect(handler).not.toHaveBeenCalled()
    await pool.close()
  })

  it('removes a task from the queue when its signal aborts while queued; its handler never runs', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 1 })
    const running = track(pool.run(1))
    const controller = new AbortController()
    const cancelled = track(pool.run(2, { signal: controller.signal }))
    const after = track(pool.run(3))
    expect(pool.stats().queued).toBe(2)
    const reason = new Error('not needed any more')
    controller.abort(reason)
    expect(pool.stats().queued).toBe(1)
    await Promise.resolve()
    expect(cancelled).toMatchObject({ status: 'rejected', error: reason })
    expect(pool.stats().counters.cancelled).toBe(1)
    c.release(1)
    await tick()
    c.release(3)
    await pool.onIdle()
    await Promise.resolve()
    expect(c.started).toEqual([1, 3])
    expect(running.status).toBe('fulfilled')
    expect(after.status).toBe('fulfilled')
    await pool.close()
  })

  it('rejects a running task with the signal reason and aborts its ctx.signal with the same reason', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler })
    const controller = new AbortController()
    const result = track(pool.run(1, { signal: controller.signal }))
    await Promise.resolve()
    const ctx = c.contexts.get(1)!
    const handlerSignal = ctx.signal // read before the abort
    const onAbort = vi.fn()
    handlerSignal.addEventListener('abort', onAbort)
    expect(handlerSignal.aborted).toBe(false)
    const reason = new Error('user pressed stop')
    controller.abort(reason)
    await Promise.resolve()
    expect(result).toMatchObject({ status: 'rejected', error: reason })
    expect(handlerSignal.aborted).toBe(true)
    expect(handlerSignal.reason).toBe(reason)
    expect(onAbort).toHaveBeenCalledTimes(1)
    expect(pool.stats().counters).toMatchObject({ cancelled: 1, failed: 0 })
    c.release(1)
    await pool.close()
  })

  it('hands an aborted signal to a handler that reads ctx.signal only after the abort', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler })
    const controller = new AbortController()
    const result = track(pool.run(1, { signal: controller.signal }))
    await Promise.resolve()
    const reason = new Error('late reader')
    controller.abort(reason)
    const ctx = c.contexts.get(1)!
    expect(ctx.signal.aborted).toBe(true)
    expect(ctx.signal.reason).toBe(reason)
    await Promise.resolve()
    expect(result.error).toBe(reason)
    c.release(1)
    await pool.close()
  })

  it('ignores the value a cancelled handler returns later', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler })
    const controller = new AbortController()
    const result = track(pool.run(1, { signal: controller.signal }))
    await Promise.resolve()
    const reason = new Error('stop')
    controller.abort(reason)
    c.release(1, 999)
    await pool.onIdle()
    await tick()
    expect(result).toMatchObject({ status: 'rejected', error: reason })
    expect(pool.stats().counters).toMatchObject({ cancelled: 1, completed: 0 })
    await pool.close()
  })

  it('keeps a cancelled in-process task in its slot until the handler returns', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 1 })
    const controller = new AbortController()
    const first = track(pool.run(1, { signal: controller.signal }))
    const second = track(pool.run(2))
    controller.abort(new Error('stop'))
    await tick()
    expect(first.status).toBe('rejected')
    expect(c.started).toEqual([1])
    c.release(1)
    await tick()
    expect(c.started).toEqual([1, 2])
    c.release(2)
    await tick()
    expect(second).toMatchObject({ status: 'fulfilled', value: 20 })
    await pool.close()
  })

  it('cancels every task that shares one signal, queued and running', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 2 })
    const controller = new AbortController()
    const results = [1, 2, 3, 4].map((i) => track(pool.run(i, { signal: controller.signal })))
    await Promise.resolve()
    expect(c.started).toEqual([1, 2])
    const reason = new Error('batch cancelled')
    controller.abort(reason)
    await Promise.resolve()
    expect(results.map((r) => r.error)).toEqual([reason, reason, reason, reason])
    expect(pool.stats().counters.cancelled).toBe(4)
    c.release(1)
    c.release(2)
    await tick()
    expect(c.started).toEqual([1, 2])
    await pool.close()
  })

  it('does nothing when the signal aborts after the task settled', async () => {
    const pool = createPool({ handler: (x: number) => x })
    const onError = vi.fn()
    pool.on('error', onError)
    const controller = new AbortController()
    await expect(pool.run(1, { signal: controller.signal })).resolves.toBe(1)
    controller.abort(new Error('too late'))
    await Promise.resolve()
    expect(pool.stats().counters).toMatchObject({ completed: 1, cancelled: 0 })
    expect(onError).not.toHaveBeenCalled()
    await pool.close()
  })

  it('removes its abort listener from the signal once the task settles', async () => {
    const pool = createPool({ handler: (x: number) => x })
    const controller = new AbortController()
    const add = vi.spyOn(controller.signal, 'addEventListener')
    const remove = vi.spyOn(controller.signal, 'removeEventListener')
    await pool.run(1, { signal: controller.signal })
    await pool.run(2, { signal: controller.signal })
    expect(add).toHaveBeenCalledTimes(2)
    expect(remove).toHaveBeenCalledTimes(2)
    expect(remove.mock.calls.map((call) => call[1])).toEqual(add.mock.calls.map((call) => call[1]))
    await pool.close()
  })

  it("aborts the handler's ctx.signal when an onStarted observer aborts the task's signal (a cancelled task never runs unsignalled)", async () => {
    const clock = createVirtualClock()
    const controller = new AbortController()
    const reason = new Error('cancelled from onStarted')
    const seen: boolean[] = []
    const handler = (_n: number, ctx: TaskContext): Promise<number> =>
      new Promise((resolve) => {
        seen.push(ctx.signal.aborted)
        if (!ctx.signal.aborted) ctx.signal.addEventListener('abort', () => resolve(-1))
        else resolve(-1)
      })
    const pool = createPool({
      handler,
      clock,
      observers: [{ onStarted: () => controller.abort(reason) }],
    })
    const result = track(pool.run(1, { signal: controller.signal }))
    await clock.flush()
    expect(result.error).toBe(reason)
    // Either the handler never ran, or it ran with its signal already aborted.
    expect(seen.every((aborted) => aborted)).toBe(true)
    await pool.close()
  })

  it('never starts, and settles once, a task whose signal a breaker aborts during admit()', async () => {
    const clock = createVirtualClock()
    const controller = new AbortController()
    const reason = new Error('aborted during admit')
    const handler = vi.fn((n: number) => n)
    const settled: string[] = []
    const breaker: Breaker = {
      admit: () => {
        controller.abort(reason) // e.g. a breaker that trips a shared controller
        return undefined
      },
      acquire: () => undefined,
      onSuccess: () => {},
      onFailure: () => {},
      onCancel: () => {},
    }
    const pool = createPool({
      handler,
      clock,
      breaker,
      observers: [{ onSettled: (_p, t, outcome) => settled.push(`${t.id}:${outcome}`) }],
    })
    const result = track(pool.run(1, { signal: controller.signal }))
    await clock.flush()
    expect(result.error).toBe(reason)
    expect(handler).not.toHaveBeenCalled()
    expect(settled).toEqual(['1:cancelled'])
    const c = pool.stats().counters
    expect(c.completed + c.failed + c.cancelled + c.timedOut + c.rejected).toBe(c.submitted)
    await pool.close()
  })

  it('reports the time a task spent queued even when it never started (cancelled while queued)', async () => {
    const clock = createVirtualClock()
    const g = gate<number>()
    const pool = createPool({ handler: () => g.promise, clock })
    void pool.run(0).catch(() => {}) // holds the only worker
    const controller = new AbortController()
    let result: TaskResult<number> | undefined
    pool.submit(1, (r) => (result = r), { signal: controller.signal })
    await clock.advance(100)
    controller.abort()
    expect(result?.ok).toBe(false)
    expect(result?.waitMs).toBe(100)
    await pool.destroy()
  })
})

// ---------------------------------------------------------------- timeouts

describe('timeouts', () => {
  it('rejects with TaskTimeoutError when taskTimeout passes on the virtual clock, not before', async () => {
    const clock = createVirtualClock()
    const c = controlled()
    const pool = createPool({ clock, handler: c.handler, taskTimeout: 100 })
    const result = track(pool.run(1))
    await clock.advance(99)
    expect(result.status).toBe('pending')
    await clock.advance(1)
    expect(result.status).toBe('rejected')
    const error = result.error as TaskTimeoutError
    expect(error).toBeInstanceOf(TaskTimeoutError)
    expect(isPoolError(error)).toBe(true)
    expect(error.code).toBe('ERR_POOL_TASK_TIMEOUT')
    expect(error.code).toBe(ErrorCode.TaskTimeout)
    expect(error.timeoutMs).toBe(100)
    expect(pool.stats().counters).toMatchObject({ timedOut: 1, failed: 0 })
    c.release(1)
    await pool.close()
  })

  it('aborts the handler ctx.signal with the TaskTimeoutError as its reason', async () => {
    const clock = createVirtualClock()
    let signal: AbortSignal | undefined
    const pool = createPool({
      clock,
      taskTimeout: 50,
      handler: (_x: number, ctx: TaskContext) =>
        new Promise<number>((_resolve, reject) => {
          signal = ctx.signal
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))
        }),
    })
    const result = track(pool.run(1))
    await clock.advance(50)
    expect(signal?.aborted).toBe(true)
    expect(signal?.reason).toBeInstanceOf(TaskTimeoutError)
    expect(result.error).toBe(signal?.reason)
    await pool.close()
  })

  it('uses a per-run timeout shorter than taskTimeout', async () => {
    const clock = createVirtualClock()
    const c = controlled()
    const pool = createPool({ clock, handler: c.handler, taskTimeout: 1000 })
    const result = track(pool.run(1, { timeout: 30 }))
    await clock.advance(29)
    expect(result.status).toBe('pending')
    await clock.advance(1)
    expect(result.error).toBeInstanceOf(TaskTimeoutError)
    expect((result.error as TaskTimeoutError).timeoutMs).toBe(30)
    c.release(1)
    await pool.close()
  })

  it('uses a per-run timeout longer than taskTimeout', async () => {
    const clock = createVirtualClock()
    const c = controlled()
    const pool = createPool({ clock, handler: c.handler, taskTimeout: 100, concurrency: 2 })
    const longer = track(pool.run(1, { timeout: 300 }))
    const pooled = track(pool.run(2))
    await clock.advance(100)
    expect(pooled.error).toBeInstanceOf(TaskTimeoutError)
    expect(longer.status).toBe('pending')
    await clock.advance(200)
    expect(longer.error).toBeInstanceOf(TaskTimeoutError)
    expect((longer.error as TaskTimeoutError).timeoutMs).toBe(300)
    c.release(1)
    c.release(2)
    await pool.close()
  })

  it('treats a per-run timeout of 0 or Infinity as no timeout, even with a taskTimeout', async () => {
    const clock = createVirtualClock()
    const c = controlled()
    const pool = createPool({ clock, handler: c.handler, taskTimeout: 100, concurrency: 2 })
    const zero = track(pool.run(1, { timeout: 0 }))
    const infinite = track(pool.run(2, { timeout: Infinity }))
    await clock.advance(10_000)
    expect(zero.status).toBe('pending')
    expect(infinite.status).toBe('pending')
    c.release(1)
    c.release(2)
    await clock.flush()
    expect(zero).toMatchObject({ status: 'fulfilled', value: 10 })
    expect(infinite).toMatchObject({ status: 'fulfilled', value: 20 })
    await pool.close()
  })

  it('treats taskTimeout 0 as no timeout', async () => {
    const clock = createVirtualClock()
    const c = controlled()
    const pool = createPool({ clock, handler: c.handler, taskTimeout: 0 })
    const result = track(pool.run(1))
    await clock.advance(60_000)
    expect(result.status).toBe('pending')
    expect(clock.pending).toBe(0)
    c.release(1)
    await clock.flush()
    expect(result.status).toBe('fulfilled')
    await pool.close()
  })

  it('counts the timeout from when the task starts, not from when it was queued', async () => {
    const clock = createVirtualClock()
    const pool = createPool({
      clock,
      concurrency: 1,
      taskTimeout: 100,
      handler: async (ms: number) => {
        await sleep(clock, ms)
        return ms
      },
    })
    const first = track(pool.run(60))
    const second = track(pool.run(1000))
    await clock.advance(60)
    expect(first).toMatchObject({ status: 'fulfilled', value: 60 })
    await clock.advance(99) // t = 159: the second task has run 99 ms
    expect(second.status).toBe('pending')
    await clock.advance(1) // t = 160
    expect(second.error).toBeInstanceOf(TaskTimeoutError)
    await clock.runAll()
    await pool.close()
  })

  it('clears the timeout timer of a task that finishes in time', async () => {
    const clock = createVirtualClock()
    const pool = createPool({
      clock,
      taskTimeout: 100,
      handler: async (x: number) => {
        await sleep(clock, 10)
        return x
      },
    })
    const result = track(pool.run(5))
    await clock.advance(10)
    expect(result).toMatchObject({ status: 'fulfilled', value: 5 })
    expect(clock.pending).toBe(0)
    await clock.advance(1000)
    expect(pool.stats().counters).toMatchObject({ completed: 1, timedOut: 0 })
    await pool.close()
  })

  it('keeps a timed-out in-process handler in its slot until it returns, so the next task waits', async () => {
    const clock = createVirtualClock()
    const started: number[] = []
    let inFlight = 0
    let maxInFlight = 0
    const pool = createPool({
      clock,
      concurrency: 1,
      taskTimeout: 100,
      // Ignores its signal: runs 300 ms whatever happens.
      handler: async (x: number) => {
        started.push(x)
        inFlight++
        maxInFlight = Math.max(maxInFlight, inFlight)
        await sleep(clock, 300)
        inFlight--
        return x
      },
    })
    const first = track(pool.run(1))
    const second = track(pool.run(2))
    await clock.advance(100)
    expect(first.error).toBeInstanceOf(TaskTimeoutError)
    expect(started).toEqual([1])
    expect(pool.stats().queued).toBe(1)
    await clock.advance(199) // t = 299: the first handler is still running
    expect(started).toEqual([1])
    await clock.advance(1) // t = 300: it returned, the slot is free
    expect(started).toEqual([1, 2])
    await clock.runAll()
    expect(second.error).toBeInstanceOf(TaskTimeoutError)
    expect(maxInFlight).toBe(1)
    // The late return value of a timed-out handler does not change its outcome.
    expect(first.error).toBeInstanceOf(TaskTimeoutError)
    expect(pool.stats().counters).toMatchObject({ timedOut: 2, completed: 0 })
    await pool.close()
  })

  it('never exceeds concurrency while many handlers outlive their timeout', async () => {
    const clock = createVirtualClock()
    let inFlight = 0
    let maxInFlight = 0
    const pool = createPool({
      clock,
      concurrency: 2,
      taskTimeout: 100,
      handler: async (ms: number) => {
        inFlight++
        maxInFlight = Math.max(maxInFlight, inFlight)
        await sleep(clock, ms)
        inFlight--
        return ms
      },
    })
    const results = [250, 50, 400, 120, 90, 300].map((ms) => track(pool.run(ms)))
    await clock.runAll()
    expect(maxInFlight).toBe(2)
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'rejected', 'fulfilled', 'rejected'])
    expect(pool.stats().counters).toMatchObject({ timedOut: 4, completed: 2 })
    await pool.close()
  })
})

// ---------------------------------------------------------------- retry

describe('retry', () => {
  const noJitter = { jitter: 0 }

  it('tries a failing task `attempts` times in all and rejects with the last error', async () => {
    const clock = createVirtualClock()
    let calls = 0
    const pool = createPool({
      clock,
      retry: { attempts: 3, backoff: { initialMs: 10, ...noJitter } },
      handler: () => {
        calls++
        throw new Error(`failure ${calls}`)
      },
    })
    const results: TaskResult<never>[] = []
    pool.submit(1, (r) => results.push(r))
    await clock.runAll()
    expect(calls).toBe(3)
    expect(results).toHaveLength(1)
    expect(results[0]).toMatchObject({ ok: false, attempts: 3 })
    expect((results[0] as { error: Error }).error.message).toBe('failure 3')
    expect(pool.stats().counters).toMatchObject({ submitted: 1, failed: 1, retried: 2, completed: 0 })
    await pool.close()
  })

  it('does not retry with the default of one attempt', async () => {
    const handler = vi.fn(() => {
      throw new Error('once')
    })
    const pool = createPool({ handler })
    await expect(pool.run(1)).rejects.toThrow('once')
    expect(handler).toHaveBeenCalledTimes(1)
    expect(pool.stats().counters.retried).toBe(0)
    await pool.close()
  })

  it('resolves a task that succeeds on a later attempt, reporting the attempts it took', async () => {
    const clock = createVirtualClock()
    const pool = createPool({
      clock,
      retry: { attempts: 5, backoff: { initialMs: 10, ...noJitter } },
      handler: (x: number, ctx: TaskContext) => {
        if (ctx.attempt < 3) throw new Error('not yet')
        return x * 2
      },
    })
    const results: TaskResult<number>[] = []
    pool.submit(21, (r) => results.push(r))
    await clock.runAll()
    expect(results).toEqual([{ id: 1, ok: true, value: 42, waitMs: 0, runMs: 0, attempts: 3 }])
    expect(pool.stats().counters).toMatchObject({ completed: 1, failed: 0, retried: 2 })
    await pool.close()
  })

  it('increments ctx.attempt on each try while ctx.id stays the same', async () => {
    const clock = createVirtualClock()
    const seen: { id: number; attempt: number }[] = []
    const pool = createPool({
      clock,
      retry: { attempts: 3, backoff: { initialMs: 1, ...noJitter } },
      handler: (_x: number, ctx: TaskContext) => {
        seen.push({ id: ctx.id, attempt: ctx.attempt })
        throw new Error('again')
      },
    })
    const result = track(pool.run(1))
    await clock.runAll()
    expect(result.status).toBe('rejected')
    expect(seen).toEqual([
      { id: 1, attempt: 1 },
      { id: 1, attempt: 2 },
      { id: 1, attempt: 3 },
    ])
    await pool.close()
  })

  it('waits initialMs * factor^(n-1), capped at maxMs, before attempt n+1 (jitter 0)', async () => {
    const clock = createVirtualClock()
    const startedAt: number[] = []
    const pool = createPool({
      clock,
      retry: { attempts: 6, backoff: { initialMs: 100, factor: 2, maxMs: 500, jitter: 0 } },
      handler: () => {
        startedAt.push(clock.now())
        throw new Error('fail')
      },
    })
    const result = track(pool.run(1))
    await clock.flush()
    expect(startedAt).toEqual([0])
    // Delays after failures 1..5: 100, 200, 400, 500 (capped), 500 (capped).
    const delays = [100, 200, 400, 500, 500]
    let t = 0
    for (const [i, delay] of delays.entries()) {
      await clock.advance(delay - 1)
      expect(startedAt).toHaveLength(i + 1) // not before the delay passes
      await clock.advance(1)
      t += delay
      expect(startedAt).toHaveLength(i + 2) // right when it passes
      expect(startedAt[i + 1]).toBe(t)
    }
    expect(startedAt).toEqual([0, 100, 300, 700, 1200, 1700])
    expect(result.status).toBe('rejected')
    await pool.close()
  })

  it('starts the backoff when the failed attempt ends, not when it started', async () => {
    const clock = createVirtualClock()
    const startedAt: number[] = []
    const pool = createPool({
      clock,
      retry: { attempts: 3, backoff: { initialMs: 100, factor: 3, jitter: 0 } },
      handler: async () => {
        startedAt.push(clock.now())
        await sleep(clock, 40)
        throw new Error('slow failure')
      },
    })
    const result = track(pool.run(1))
    await clock.runAll()
    // 0 + 40 run + 100 delay = 140; 140 + 40 run + 300 delay = 480.
    expect(startedAt).toEqual([0, 140, 480])
    expect(result.status).toBe('rejected')
    expect(clock.now()).toBe(520)
    await pool.close()
  })

  it('draws jitter from options.random: delay = base * (1 - jitter) + base * jitter * random()', async () => {
    const clock = createVirtualClock()
    const startedAt: number[] = []
    const pool = createPool({
      clock,
      random: () => 0.25,
      retry: { attempts: 2, backoff: { initialMs: 200, jitter: 0.5 } },
      handler: () => {
        startedAt.push(clock.now())
        throw new Error('fail')
      },
    })
    const result = track(pool.run(1))
    await clock.runAll()
    // 200 * 0.5 + 200 * 0.5 * 0.25 = 125
    expect(startedAt).toEqual([0, 125])
    expect(result.status).toBe('rejected')
    await pool.close()
  })

  it('reports the task as delayed, not queued, while it waits out its backoff', async () => {
    const clock = createVirtualClock()
    const pool = createPool({
      clock,
      retry: { attempts: 2, backoff: { initialMs: 100, jitter: 0 } },
      handler: (_x: number, ctx: TaskContext) => {
        if (ctx.attempt === 1) throw new Error('first try fails')
        return 'ok'
      },
    })
    const result = track(pool.run(1))
    await clock.advance(50)
    expect(pool.stats()).toMatchObject({ delayed: 1, queued: 0, running: 0 })
    await clock.advance(50)
    expect(result).toMatchObject({ status: 'fulfilled', value: 'ok' })
    expect(pool.stats().delayed).toBe(0)
    await pool.close()
  })

  it('stops retrying when retryIf(error) returns false', async () => {
    const clock = createVirtualClock()
    const permanent = new Error('permanent')
    const retryIf = vi.fn((_error: unknown, _task: TaskInfo) => false)
    const handler = vi.fn(() => {
      throw permanent
    })
    const pool = createPool({ clock, handler, retry: { attempts: 5, retryIf, backoff: noJitter } })
    const result = track(pool.run(1))
    await clock.runAll()
    expect(result).toMatchObject({ status: 'rejected', error: permanent })
    expect(handler).toHaveBeenCalledTimes(1)
    expect(retryIf).toHaveBeenCalledTimes(1)
    expect(retryIf.mock.calls[0]![0]).toBe(permanent)
    expect(retryIf.mock.calls[0]![1]).toMatchObject({ id: 1, attempt: 1 })
    expect(pool.stats().counters).toMatchObject({ retried: 0, failed: 1 })
    await pool.close()
  })

  it('retries only the errors retryIf accepts', async () => {
    const clock = createVirtualClock()
    class Transient extends Error {}
    const pool = createPool({
      clock,
      retry: { attempts: 5, retryIf: (e) => e instanceof Transient, backoff: { initialMs: 10, jitter: 0 } },
      handler: (_x: number, ctx: TaskContext) => {
        if (ctx.attempt < 3) throw new Transient(`transient ${ctx.attempt}`)
        throw new Error('fatal')
      },
    })
    const results: TaskResult<never>[] = []
    pool.submit(1, (r) => results.push(r))
    await clock.runAll()
    expect(results).toHaveLength(1)
    expect(results[0]).toMatchObject({ ok: false, attempts: 3 })
    expect((results[0] as { error: Error }).error.message).toBe('fatal')
    expect(pool.stats().counters.retried).toBe(2)
    await pool.close()
  })

  it('retries a timed-out attempt and resolves when a later attempt succeeds', async () => {
    const clock = createVirtualClock()
    const pool = createPool({
      clock,
      taskTimeout: 100,
      retry: { attempts: 2, backoff: { initialMs: 10, jitter: 0 } },
      handler: (x: number, ctx: TaskContext) =>
        new Promise<number>((resolve, reject) => {
          if (ctx.attempt === 2) return resolve(x)
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))
        }),
    })
    const result = track(pool.run(7))
    await clock.advance(100)
    expect(result.status).toBe('pending')
    expect(pool.stats().counters.retried).toBe(1)
    await clock.advance(10)
    expect(result).toMatchObject({ status: 'fulfilled', value: 7 })
    expect(pool.stats().counters).toMatchObject({ completed: 1, timedOut: 0, retried: 1 })
    await pool.close()
  })

  it('keeps a timed-out attempt seeing its own aborted signal and attempt number after a retry starts', async () => {
    const clock = createVirtualClock()
    let firstCtx: TaskContext | undefined
    const seenByFirst: { aborted: boolean; attempt: number }[] = []
    const pool = createPool({
      clock,
      concurrency: 2,
      taskTimeout: 100,
      retry: { attempts: 2, backoff: { initialMs: 10, jitter: 0 } },
      handler: async (_x: number, ctx: TaskContext) => {
        if (ctx.attempt === 1) {
          firstCtx = ctx
          // A long step that ignores the signal, then a check before committing.
          await sleep(clock, 150)
          seenByFirst.push({ aborted: ctx.signal.aborted, attempt: ctx.attempt })
          return 'first'
        }
        await sleep(clock, 90)
        return 'second'
      },
    })
    const result = track(pool.run(1))
    await clock.advance(100) // attempt 1 times out
    expect(firstCtx!.signal.aborted).toBe(true)
    await clock.advance(10) // attempt 2 starts at 110 on the second slot
    await clock.advance(40) // t = 150: attempt 1 wakes up and checks its context
    expect(seenByFirst).toEqual([{ aborted: true, attempt: 1 }])
    await clock.runAll()
    expect(result).toMatchObject({ status: 'fulfilled', value: 'second' })
    await pool.close()
  })

  it('never retries a cancelled task', async () => {
    const clock = createVirtualClock()
    const c = controlled()
    const pool = createPool({ clock, handler: c.handler, retry: { attempts: 3, backoff: { initialMs: 1, jitter: 0 } } })
    const controller = new AbortController()
    const result = track(pool.run(1, { signal: controller.signal }))
    await clock.flush()
    const reason = new Error('cancel')
    controller.abort(reason)
    c.release(1)
    await clock.runAll()
    expect(result).toMatchObject({ status: 'rejected', error: reason })
    expect(c.started).toEqual([1])
    expect(pool.stats().counters).toMatchObject({ cancelled: 1, retried: 0 })
    await pool.close()
  })

  it('cancels a task waiting out its backoff when its signal aborts; it never runs again', async () => {
    const clock = createVirtualClock()
    const handler = vi.fn(() => {
      throw new Error('fail')
    })
    const pool = createPool({ clock, handler, retry: { attempts: 3, backoff: { initialMs: 100, jitter: 0 } } })
    const controller = new AbortController()
    const result = track(pool.run(1, { signal: controller.signal }))
    await clock.advance(50)
    expect(pool.stats().delayed).toBe(1)
    const reason = new Error('gave up during backoff')
    controller.abort(reason)
    await clock.flush()
    expect(result).toMatchObject({ status: 'rejected', error: reason })
    expect(pool.stats().delayed).toBe(0)
    await clock.runAll()
    expect(handler).toHaveBeenCalledTimes(1)
    expect(pool.stats().counters).toMatchObject({ cancelled: 1, retried: 1, failed: 0 })
    await pool.close()
  })
})

// ---------------------------------------------------------------- dead letters

describe('dead letters', () => {
  it('hands { task, input, error, attempts, failedAt } to deadLetter.put after the last attempt', async () => {
    const clock = createVirtualClock()
    const letters: DeadLetter<{ url: string }>[] = []
    const pool = createPool({
      clock,
      retry: { attempts: 3, backoff: { initialMs: 100, factor: 2, jitter: 0 } },
      deadLetter: { put: (letter) => void letters.push(letter) },
      handler: async (_input: { url: string }, ctx: TaskContext) => {
        await sleep(clock, 10)
        throw new Error(`attempt ${ctx.attempt} failed`)
      },
    })
    const input = { url: 'https://example.test/a' }
    const result = track(pool.run(input, { key: 'example' }))
    await clock.runAll()
    // Runs 0-10, 110-120, 320-330.
    expect(letters).toHaveLength(1)
    const letter = letters[0]!
    expect(letter.input).toBe(input)
    expect(letter.attempts).toBe(3)
    expect(letter.failedAt).toBe(330)
    expect((letter.error as Error).message).toBe('attempt 3 failed')
    expect(letter.task).toMatchObject({ id: 1, key: 'example', attempt: 3 })
    // The caller still gets the task's own error.
    expect(result.error).toBe(letter.error)
    expect(pool.stats().counters).toMatchObject({ deadLettered: 1, failed: 1, retried: 2 })
    await pool.close()
  })

  it('does not dead-letter a task that succeeds on a retry', async () => {
    const clock = createVirtualClock()
    const put = vi.fn()
    const pool = createPool({
      clock,
      retry: { attempts: 2, backoff: { initialMs: 1, jitter: 0 } },
      deadLetter: { put },
      handler: (_x: number, ctx: TaskContext) => {
        if (ctx.attempt === 1) throw new Error('first')
        return 'ok'
      },
    })
    const result = track(pool.run(1))
    await clock.runAll()
    expect(result.value).toBe('ok')
    expect(put).not.toHaveBeenCalled()
    expect(pool.stats().counters.deadLettered).toBe(0)
    await pool.close()
  })

  it('does not dead-letter a cancelled task', async () => {
    const clock = createVirtualClock()
    const put = vi.fn()
    const c = controlled()
    const pool = createPool({ clock, handler: c.handler, deadLetter: { put } })
    const controller = new AbortController()
    const result = track(pool.run(1, { signal: controller.signal }))
    await clock.flush()
    controller.abort(new Error('stop'))
    c.release(1)
    await clock.runAll()
    expect(result.status).toBe('rejected')
    expect(put).not.toHaveBeenCalled()
    expect(pool.stats().counters.deadLettered).toBe(0)
    await pool.close()
  })

  it('dead-letters a task whose last attempt timed out, with the TaskTimeoutError', async () => {
    const clock = createVirtualClock()
    const letters: DeadLetter<number>[] = []
    const c = controlled()
    const pool = createPool({ clock, handler: c.handler, taskTimeout: 50, deadLetter: { put: (l) => void letters.push(l) } })
    const result = track(pool.run(4))
    await clock.advance(50)
    expect(result.error).toBeInstanceOf(TaskTimeoutError)
    expect(letters).toHaveLength(1)
    expect(letters[0]).toMatchObject({ input: 4, attempts: 1, failedAt: 50 })
    expect(letters[0]!.error).toBe(result.error)
    expect(pool.stats().counters).toMatchObject({ deadLettered: 1, timedOut: 1 })
    c.release(4)
    await pool.close()
  })

  it('reports a sink that throws or rejects on the error event; the caller still gets the task error', async () => {
    const clock = createVirtualClock()
    const sinkErrors = [new Error('sink threw'), new Error('sink rejected')]
    let n = 0
    const pool = createPool({
      clock,
      deadLetter: {
        put: () => {
          const e = sinkErrors[n++]!
          if (n === 1) throw e
          return Promise.reject(e)
        },
      },
      handler: (x: number) => {
        throw new Error(`task ${x}`)
      },
    })
    const errors: unknown[] = []
    pool.on('error', (e) => errors.push(e))
    await expect(pool.run(1)).rejects.toThrow('task 1')
    await expect(pool.run(2)).rejects.toThrow('task 2')
    await clock.flush()
    expect(errors).toEqual(sinkErrors)
    expect(pool.stats().counters.deadLettered).toBe(2)
    await pool.close()
  })
})

// ---------------------------------------------------------------- counters and means

describe('stats() counters and means', () => {
  it('counts each outcome as it happened', async () => {
    const clock = createVirtualClock()
    const put = vi.fn()
    const pool = createPool({
      clock,
      concurrency: 1,
      maxQueue: 2,
      retry: { attempts: 2, backoff: { initialMs: 10, jitter: 0 } },
      deadLetter: { put },
      handler: async (kind: string, ctx: TaskContext) => {
        await sleep(clock, 10)
        if (kind === 'fail') throw new Error('always fails')
        if (kind === 'flaky' && ctx.attempt === 1) throw new Error('fails once')
        if (kind === 'slow') await sleep(clock, 100)
        return kind
      },
    })
    const outcomes: Tracked<string>[] = []
    const runOne = async (kind: string, options?: { timeout?: number; signal?: AbortSignal }) => {
      const t = track(pool.run(kind, options))
      outcomes.push(t)
      await clock.runAll()
      return t
    }
    expect((await runOne('ok')).status).toBe('fulfilled') // completed
    expect((await runOne('fail')).status).toBe('rejected') // retried once, failed, dead-lettered
    expect((await runOne('flaky')).status).toBe('fulfilled') // retried once, completed
    expect((await runOne('slow', { timeout: 50 })).error).toBeInstanceOf(TaskTimeoutError) // retried once, timed out, dead-lettered
    expect((await runOne('ok', { signal: AbortSignal.abort('no') })).error).toBe('no') // cancelled
    // Fill the queue: one running, two queued, one refused.
    pool.pause()
    const queued = [track(pool.run('ok')), track(pool.run('ok'))]
    const refused = track(pool.run('ok'))
    await clock.flush()
    expect(refused.status).toBe('rejected')
    pool.resume()
    await clock.runAll()
    expect(queued.map((q) => q.status)).toEqual(['fulfilled', 'fulfilled'])
    expect(pool.stats().counters).toEqual({
      submitted: 8,
      // ok 1, fail 2, flaky 2, slow 2, the aborted one none, the queued two 2.
      started: 9,
      completed: 4,
      failed: 1,
      rejected: 1,
      cancelled: 1,
      timedOut: 1,
      retried: 3,
      deadLettered: 2,
    })
    expect(put).toHaveBeenCalledTimes(2)
    await pool.close()
  })

  it('reports mean wait and run times per attempt on the virtual clock', async () => {
    const clock = createVirtualClock()
    const pool = createPool({
      clock,
      concurrency: 1,
      handler: async (ms: number) => {
        await sleep(clock, ms)
        return ms
      },
    })
    expect(pool.stats()).toMatchObject({ meanWaitMs: 0, meanRunMs: 0 })
    const all = Promise.all([pool.run(10), pool.run(20), pool.run(30)])
    await clock.runAll()
    await all
    // Waits: 0, 10, 30. Runs: 10, 20, 30.
    const stats = pool.stats()
    expect(stats.meanWaitMs).toBeCloseTo(40 / 3, 10)
    expect(stats.meanRunMs).toBe(20)
    await pool.close()
  })

  it('counts each retry attempt in the means and sums attempts in TaskResult', async () => {
    const clock = createVirtualClock()
    const pool = createPool({
      clock,
      retry: { attempts: 2, backoff: { initialMs: 5, jitter: 0 } },
      handler: async (_x: number, ctx: TaskContext) => {
        await sleep(clock, ctx.attempt === 1 ? 10 : 30)
        if (ctx.attempt === 1) throw new Error('again')
        return 'done'
      },
    })
    const results: TaskResult<string>[] = []
    pool.submit(1, (r) => results.push(r))
    await clock.runAll()
    expect(results).toEqual([{ id: 1, ok: true, value: 'done', waitMs: 0, runMs: 40, attempts: 2 }])
    expect(pool.stats().meanRunMs).toBe(20)
    expect(pool.stats().meanWaitMs).toBe(0)
    await pool.close()
  })

  it('counts the run time of a timed-out attempt up to its timeout', async () => {
    const clock = createVirtualClock()
    const c = controlled()
    const pool = createPool({ clock, handler: c.handler, taskTimeout: 80 })
    const results: TaskResult<number>[] = []
    pool.submit(1, (r) => results.push(r))
    await clock.advance(80)
    expect(results).toHaveLength(1)
    expect(results[0]).toMatchObject({ ok: false, runMs: 80, waitMs: 0, attempts: 1 })
    expect(pool.stats().meanRunMs).toBe(80)
    c.release(1)
    await pool.close()
  })

  it('reports queued, running and worker counts as tasks move', async () => {
    const c = controlled()
    const pool = createPool({ handler: c.handler, concurrency: 2 })
    const runs = [1, 2, 3].map((i) => pool.run(i))
    expect(pool.stats()).toMatchObject({
      queued: 1,
      running: 2,
      concurrency: 2,
      workers: { total: 2, busy: 2, idle: 0 },
    })
    c.release(1)
    await tick()
    expect(pool.stats()).toMatchObject({ queued: 0, running: 2 })
    c.release(2)
    c.release(3)
    await Promise.all(runs)
    expect(pool.stats()).toMatchObject({ queued: 0, running: 0, workers: { total: 2, busy: 0, idle: 2 } })
    await pool.close()
  })
})

describe('tasks that share one signal', () => {
  it('share one abort listener on it, removed once they have all settled, and all cancel when it aborts', async () => {
    const { getEventListeners } = await import('node:events')
    const clock = createVirtualClock()
    const pool = createPool({ handler: (ms: number) => new Promise<number>((r) => clock.setTimeout(() => r(ms), ms)), clock, concurrency: 2 })
    const batch = new AbortController()
    const done = [10, 10, 10].map((ms) => pool.run(ms, { signal: batch.signal }))
    const cancelled = Array.from({ length: 30 }, () => pool.run(1000, { signal: batch.signal }).catch((e: Error) => e.name))
    expect(getEventListeners(batch.signal, 'abort')).toHaveLength(1)
    await clock.advance(20)
    await Promise.all(done)
    expect(getEventListeners(batch.signal, 'abort')).toHaveLength(1)
    batch.abort()
    expect(await Promise.all(cancelled)).toEqual(Array(30).fill('AbortError'))
    expect(getEventListeners(batch.signal, 'abort')).toHaveLength(0)
    // The cancelled handlers keep their slots until they return (at 1,020 ms).
    const settled = new AbortController()
    await Promise.all([pool.run(1, { signal: settled.signal }), clock.advance(2000)])
    expect(getEventListeners(settled.signal, 'abort')).toHaveLength(0)
    await pool.close()
  })

  it('lets runAll() keep more than ten tasks in flight without a MaxListenersExceededWarning', async () => {
    const warnings: string[] = []
    const onWarning = (w: Error): void => void warnings.push(w.name)
    process.on('warning', onWarning)
    try {
      const pool = createPool({ handler: async (x: number) => x * 2, concurrency: 4 })
      const out = await pool.runAll(
        Array.from({ length: 50 }, (_, i) => i),
        { window: 40 },
      )
      expect(out[49]).toBe(98)
      await tick()
      expect(warnings).not.toContain('MaxListenersExceededWarning')
      await pool.close()
    } finally {
      process.off('warning', onWarning)
    }
  })
})
