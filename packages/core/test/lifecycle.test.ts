import { describe, expect, it, vi } from 'vitest'
import {
  createPool,
  createVirtualClock,
  ErrorCode,
  isPoolError,
  PoolClosedError,
  type CloseReport,
  type Pool,
  type PoolObserver,
  type TaskContext,
  type TaskInfo,
  type TaskResult,
  type WorkerExitReason,
} from '../src/index.js'
import { sleep, tick } from './support.js'

// ---------------------------------------------------------------- helpers

interface Call<I, O> {
  readonly input: I
  readonly ctx: TaskContext
  /** The attempt's signal, read when the handler started (as a handler would). */
  readonly signal: AbortSignal
  resolve(value: O): void
  reject(error: unknown): void
}

/** An in-process handler whose tasks settle only when the test says so. */
function controlled<I, O = I>() {
  const calls: Call<I, O>[] = []
  const handler = (input: I, ctx: TaskContext): Promise<O> =>
    new Promise<O>((resolve, reject) => {
      calls.push({ input, ctx, signal: ctx.signal, resolve, reject })
    })
  return { calls, handler }
}

/** Tracks whether a promise settled yet, without leaving a rejection unhandled. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; ok?: boolean; value?: T; error?: unknown } = { settled: false }
  promise.then(
    (value) => Object.assign(state, { settled: true, ok: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, ok: false, error }),
  )
  return state
}

const ids = (tasks: readonly { id: number }[]): number[] => tasks.map((t) => t.id).sort((a, b) => a - b)

// ---------------------------------------------------------------- ready()

describe('ready()', () => {
  it('resolves once every in-process worker is ready, with all of them idle', async () => {
    const pool = createPool({ handler: (x: number) => x, concurrency: 3 })
    await expect(pool.ready()).resolves.toBeUndefined()
    expect(pool.stats().workers).toEqual({ total: 3, busy: 0, idle: 3, starting: 0 })
    await pool.close()
  })

  it('still resolves after the pool has closed', async () => {
    const pool = createPool({ handler: (x: number) => x })
    await pool.close()
    await expect(pool.ready()).resolves.toBeUndefined()
  })
})

// ---------------------------------------------------------------- onIdle()

describe('onIdle()', () => {
  it('resolves at once when nothing is queued, running or delayed', async () => {
    const pool = createPool({ handler: (x: number) => x })
    const idle = track(pool.onIdle())
    await tick()
    expect(idle.settled).toBe(true)
    await pool.close()
  })

  it('waits for running and queued tasks, and resolves only after the last one settles', async () => {
    const { calls, handler } = controlled<number>()
    const pool = createPool({ handler, concurrency: 1 })
    const a = pool.run(1)
    const b = pool.run(2)
    const idle = track(pool.onIdle())
    await tick()
    expect(idle.settled).toBe(false)
    calls[0]!.resolve(1)
    await tick()
    expect(calls).toHaveLength(2)
    expect(idle.settled).toBe(false)
    calls[1]!.resolve(2)
    await tick()
    expect(idle.settled).toBe(true)
    expect(await Promise.all([a, b])).toEqual([1, 2])
    await pool.close()
  })

  it('waits for a task that is waiting out a retry backoff', async () => {
    const clock = createVirtualClock()
    let tries = 0
    const pool = createPool({
      handler: (x: number) => {
        tries++
        if (tries === 1) throw new Error('first try fails')
        return x
      },
      clock,
      retry: { attempts: 2, backoff: { initialMs: 100, jitter: 0 } },
    })
    const result = pool.run(7)
    const idle = track(pool.onIdle())
    await clock.advance(99)
    expect(pool.stats().delayed).toBe(1)
    expect(idle.settled).toBe(false)
    await clock.advance(1)
    expect(idle.settled).toBe(true)
    expect(await result).toBe(7)
    expect(tries).toBe(2)
    await pool.close()
  })

  it('resolves every caller waiting on it', async () => {
    const { calls, handler } = controlled<number>()
    const pool = createPool({ handler })
    void pool.run(1)
    const first = track(pool.onIdle())
    const second = track(pool.onIdle())
    calls[0]!.resolve(1)
    await tick()
    expect([first.settled, second.settled]).toEqual([true, true])
    await pool.close()
  })
})

// ---------------------------------------------------------------- events

describe("the 'idle' event", () => {
  it('fires once when the last of a burst of tasks settles, and not before', async () => {
    const { calls, handler } = controlled<number>()
    const pool = createPool({ handler, concurrency: 2 })
    let idle = 0
    pool.on('idle', () => idle++)
    const all = Promise.all([pool.run(1), pool.run(2), pool.run(3)])
    calls[0]!.resolve(1)
    await tick()
    calls[1]!.resolve(2)
    await tick()
    expect(idle).toBe(0)
    calls[2]!.resolve(3)
    await tick()
    expect(idle).toBe(1)
    expect(await all).toEqual([1, 2, 3])
    await pool.close()
  })

  it('fires again after a later burst of work', async () => {
    const pool = createPool({ handler: async (x: number) => x })
    let idle = 0
    pool.on('idle', () => idle++)
    await pool.run(1)
    await tick()
    expect(idle).toBe(1)
    await pool.run(2)
    await tick()
    expect(idle).toBe(2)
    await pool.close()
  })

  it('fires after the last task fails, too', async () => {
    const pool = createPool({
      handler: async (): Promise<number> => {
        throw new Error('nope')
      },
    })
    let idle = 0
    pool.on('idle', () => idle++)
    await expect(pool.run(1)).rejects.toThrow('nope')
    await tick()
    expect(idle).toBe(1)
    await pool.close()
  })

  it('fires once when a timed-out handler returns after its task already settled (no work in between)', async () => {
    const clock = createVirtualClock()
    const pool = createPool({ handler: () => sleep(clock, 200).then(() => 1), clock, taskTimeout: 100 })
    let idles = 0
    pool.on('idle', () => idles++)
    const result = track(pool.run(1))
    await clock.advance(100)
    expect(result).toMatchObject({ settled: true, ok: false })
    expect(idles).toBe(1)
    await clock.advance(100) // the handler returns; the pool was idle and stays idle
    expect(idles).toBe(1)
    await pool.close()
  })
})

describe('on()', () => {
  it('returns an unsubscribe that removes that listener only', async () => {
    const pool = createPool({ handler: async (x: number) => x })
    const removed = vi.fn()
    const kept = vi.fn()
    const off = pool.on('idle', removed)
    pool.on('idle', kept)
    off()
    await pool.run(1)
    await tick()
    expect(removed).not.toHaveBeenCalled()
    expect(kept).toHaveBeenCalledTimes(1)
    await pool.close()
  })

  it('lets an unsubscribe be called twice without removing a second registration of the same listener', async () => {
    const pool = createPool({ handler: async (x: number) => x })
    const listener = vi.fn()
    const off = pool.on('idle', listener)
    pool.on('idle', listener)
    off()
    off()
    await pool.run(1)
    await tick()
    expect(listener).toHaveBeenCalledTimes(1)
    await pool.close()
  })

  it('refuses an unknown event name with a TypeError naming it', async () => {
    const pool = createPool({ handler: (x: number) => x })
    expect(() => pool.on('finished' as 'idle', () => {})).toThrow(TypeError)
    expect(() => pool.on('finished' as 'idle', () => {})).toThrow(/finished/)
    await pool.close()
  })

  it('refuses a listener that is not a function', async () => {
    const pool = createPool({ handler: (x: number) => x })
    expect(() => pool.on('idle', 'nope' as unknown as () => void)).toThrow(TypeError)
    await pool.close()
  })

  it("reports a listener that throws on the 'error' event and keeps serving tasks", async () => {
    const pool = createPool({ handler: async (x: number) => x })
    const boom = new Error('listener failed')
    const errors: unknown[] = []
    pool.on('error', (e) => errors.push(e))
    pool.on('idle', () => {
      throw boom
    })
    await pool.run(1)
    await tick()
    expect(errors).toEqual([boom])
    expect(await pool.run(2)).toBe(2)
    await pool.close()
  })

  it("rethrows a listener's throw in a microtask when nobody listens to 'error', and keeps serving tasks", async () => {
    const later: (() => void)[] = []
    const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((cb) => void later.push(cb))
    const pool = createPool({ handler: (x: number) => x })
    pool.on('idle', () => {
      throw new Error('idle listener bug')
    })
    try {
      await pool.run(1)
      await tick()
      expect(later).toHaveLength(1)
      expect(() => later[0]!()).toThrow('idle listener bug')
      // The pool still serves tasks; the next idle throws again, rethrown the same way.
      expect(await pool.run(2)).toBe(2)
      await tick()
      expect(later).toHaveLength(2)
      expect(() => later[1]!()).toThrow('idle listener bug')
      await pool.close()
    } finally {
      spy.mockRestore()
    }
  })

  it("rethrows an 'error' listener's own throw in a microtask", async () => {
    const later: (() => void)[] = []
    const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((cb) => void later.push(cb))
    const pool = createPool({ handler: async (x: number) => x })
    pool.on('error', () => {
      throw new Error('error listener bug')
    })
    pool.on('idle', () => {
      throw new Error('idle listener bug')
    })
    try {
      await pool.run(1)
      await tick()
    } finally {
      spy.mockRestore()
    }
    expect(later).toHaveLength(1)
    expect(() => later[0]!()).toThrow('error listener bug')
    await pool.close()
  })
})

// ---------------------------------------------------------------- close()

describe('close()', () => {
  it('resolves at once with an empty report when the pool is idle', async () => {
    const clock = createVirtualClock({ now: 500 })
    const pool = createPool({ handler: (x: number) => x, clock })
    const report = await pool.close()
    expect(report).toEqual({ settled: 0, unstarted: [], aborted: [], timedOut: false, durationMs: 0 })
    expect(pool.state).toBe('closed')
  })

  it('reports the attempt fields of the tasks it aborts and of those that never started', async () => {
    const clock = createVirtualClock({ now: 500 })
    const pool = createPool({ handler: (_x: number, ctx: TaskContext) => new Promise<number>((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error))), clock })
    const running = pool.run(1).catch((e: unknown) => e)
    const queued = pool.run(2).catch((e: unknown) => e)
    await clock.advance(40)
    const closing = pool.close({ timeout: 60 })
    await clock.advance(60)
    const report = await closing
    await Promise.all([running, queued])
    expect(report.aborted).toEqual([expect.objectContaining({ id: 1, attempt: 1, submittedAt: 500, startedAt: 500, waitMs: 0, endedAt: 600, runMs: 100 })])
    expect(report.unstarted).toEqual([expect.objectContaining({ id: 2, attempt: 1, submittedAt: 500, startedAt: -1, waitMs: 100 })])
  })

  it('lets go of the attempt fields of a plain task once it completes, and keeps those of a task made with options', async () => {
    const seen: TaskInfo[] = []
    const during: number[] = []
    const clock = createVirtualClock({ now: 10 })
    const pool = createPool({
      handler: (x: number) => x,
      clock,
      observers: [{ onSubmitted: (_pool, task) => void seen.push(task), onSettled: (_pool, task) => void during.push(task.startedAt) }],
    })
    await pool.run(1)
    await pool.run(2, { name: 'named' })
    expect(during).toEqual([10, 10])
    expect(seen[0]).toMatchObject({ id: 1, startedAt: -1, attempt: 1 })
    expect(seen[1]).toMatchObject({ id: 2, startedAt: 10, name: 'named', endedAt: 10 })
    await pool.close()
  })

  it('refuses tasks submitted after close with PoolClosedError (ERR_POOL_CLOSED)', async () => {
    const pool = createPool({ handler: (x: number) => x })
    await pool.close()
    const error = await pool.run(1).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PoolClosedError)
    expect((error as PoolClosedError).code).toBe('ERR_POOL_CLOSED')
    expect((error as PoolClosedError).code).toBe(ErrorCode.PoolClosed)
    expect(isPoolError(error)).toBe(true)
    expect(pool.stats().counters.rejected).toBe(1)
  })

  it('refuses tasks submitted while it is still closing', async () => {
    const { calls, handler } = controlled<number>()
    const pool = createPool({ handler })
    const running = pool.run(1)
    const closing = pool.close()
    expect(pool.state).toBe('closing')
    await expect(pool.run(2)).rejects.toBeInstanceOf(PoolClosedError)
    expect(calls).toHaveLength(1)
    calls[0]!.resolve(1)
    expect(await running).toBe(1)
    await closing
  })

  it('does not count tasks refused during the close in report.settled (they were never accepted)', async () => {
    const { calls, handler } = controlled<number>()
    const pool = createPool({ handler })
    const running = pool.run(1)
    const closing = pool.close()
    await pool.run(2).catch(() => {})
    await pool.run(3).catch(() => {})
    calls[0]!.resolve(1)
    expect(await running).toBe(1)
    const report = await closing
    // One task was accepted before the close; it settled normally.
    expect(report.settled + report.unstarted.length + report.aborted.length).toBe(1)
    expect(report.settled).toBe(1)
  })

  it('gives submit() callbacks after close a failed TaskResult with PoolClosedError and no attempts', async () => {
    const pool = createPool({ handler: (x: number) => x })
    await pool.close()
    const results: TaskResult<number>[] = []
    pool.submit(1, (r) => results.push(r))
    expect(results).toHaveLength(1)
    expect(results[0]!.ok).toBe(false)
    expect(results[0]!.attempts).toBe(0)
    expect(!results[0]!.ok && results[0]!.error).toBeInstanceOf(PoolClosedError)
  })

  it('lets running and queued tasks finish, then resolves to a report counting them as settled', async () => {
    const clock = createVirtualClock()
    const { calls, handler } = controlled<number, string>()
    const pool = createPool({ handler, concurrency: 1, clock })
    const results = [pool.run(1), pool.run(2), pool.run(3)]
    const closing = track(pool.close())
    expect(pool.state).toBe('closing')
    for (let i = 0; i < 3; i++) {
      await clock.advance(10)
      expect(calls).toHaveLength(i + 1)
      expect(calls[i]!.signal.aborted).toBe(false)
      expect(closing.settled).toBe(false)
      calls[i]!.resolve(`r${i + 1}`)
    }
    await clock.flush()
    expect(await Promise.all(results)).toEqual(['r1', 'r2', 'r3'])
    expect(closing.settled).toBe(true)
    expect(closing.value).toEqual({ settled: 3, unstarted: [], aborted: [], timedOut: false, durationMs: 30 })
    expect(pool.state).toBe('closed')
  })

  it('runs tasks queued while the pool was paused', async () => {
    const pool = createPool({ handler: async (x: number) => x * 2, paused: true })
    const queued = [pool.run(1), pool.run(2)]
    expect(pool.stats().queued).toBe(2)
    const report = await pool.close()
    expect(await Promise.all(queued)).toEqual([2, 4])
    expect(report.settled).toBe(2)
  })

  it('returns the same promise when called again', async () => {
    const { calls, handler } = controlled<number>()
    const pool = createPool({ handler })
    void pool.run(1)
    const first = pool.close()
    const second = pool.close({ timeout: 10 })
    expect(second).toBe(first)
    calls[0]!.resolve(1)
    expect(await first).toBe(await second)
  })

  it('refuses an invalid timeout with a TypeError naming the option', async () => {
    const pool = createPool({ handler: (x: number) => x })
    expect(() => pool.close({ timeout: -1 })).toThrow(TypeError)
    expect(() => pool.close({ timeout: -1 })).toThrow(/timeout/)
    await pool.close()
  })

  it("emits 'close' with the same report close() resolves to", async () => {
    const pool = createPool({ handler: async (x: number) => x })
    const seen: CloseReport[] = []
    pool.on('close', (report) => seen.push(report))
    await pool.run(1)
    const report = await pool.close()
    expect(seen).toHaveLength(1)
    expect(seen[0]).toBe(report)
  })

  it('keeps the counters once closed: submitted equals the sum of the outcomes', async () => {
    const pool = createPool({
      handler: async (x: number) => {
        if (x < 0) throw new Error('negative')
        return x
      },
      concurrency: 2,
    })
    await Promise.allSettled([pool.run(1), pool.run(-1), pool.run(2)])
    await pool.close()
    await pool.run(3).catch(() => {})
    const c = pool.stats().counters
    expect(c).toMatchObject({ submitted: 4, completed: 2, failed: 1, rejected: 1, cancelled: 0, timedOut: 0 })
    expect(c.submitted).toBe(c.completed + c.failed + c.cancelled + c.timedOut + c.rejected)
  })
})

describe('close({ timeout }) on the virtual clock', () => {
  it('finishes normally when the work ends before the timeout, leaving no timer', async () => {
    const clock = createVirtualClock()
    const { calls, handler } = controlled<number>()
    const pool = createPool({ handler, clock })
    const result = pool.run(1)
    const closing = track(pool.close({ timeout: 100 }))
    await clock.advance(40)
    calls[0]!.resolve(1)
    await clock.flush()
    expect(await result).toBe(1)
    expect(closing.value).toEqual({ settled: 1, unstarted: [], aborted: [], timedOut: false, durationMs: 40 })
    expect(clock.pending).toBe(0)
  })

  it('past the timeout rejects unstarted tasks with PoolClosedError and lists them in report.unstarted', async () => {
    const clock = createVirtualClock()
    const { calls, handler } = controlled<number>()
    const pool = createPool({ handler, concurrency: 1, clock })
    const running = track(pool.run(1))
    const queued = [track(pool.run(2)), track(pool.run(3))]
    const closing = track(pool.close({ timeout: 100 }))
    await clock.advance(99)
    expect(queued.map((q) => q.settled)).toEqual([false, false])
    expect(closing.settled).toBe(false)
    await clock.advance(1)
    for (const q of queued) {
      expect(q.ok).toBe(false)
      expect(q.error).toBeInstanceOf(PoolClosedError)
      expect((q.error as PoolClosedError).code).toBe('ERR_POOL_CLOSED')
    }
    expect(calls).toHaveLength(1) // the queued ones never started
    const report = closing.value!
    expect(ids(report.unstarted)).toEqual([2, 3])
    expect(report.timedOut).toBe(true)
    expect(report.durationMs).toBe(100)
    expect(running.settled).toBe(true)
  })

  it('past the timeout aborts running tasks: their signal aborts, they reject with PoolClosedError and are listed in report.aborted', async () => {
    const clock = createVirtualClock()
    const { calls, handler } = controlled<number>()
    const pool = createPool({ handler, concurrency: 2, clock })
    const running = [track(pool.run(1)), track(pool.run(2))]
    const closing = track(pool.close({ timeout: 50 }))
    await clock.advance(50)
    for (const [i, r] of running.entries()) {
      expect(r.ok).toBe(false)
      expect(r.error).toBeInstanceOf(PoolClosedError)
      expect(calls[i]!.signal.aborted).toBe(true)
      expect(calls[i]!.signal.reason).toBeInstanceOf(PoolClosedError)
    }
    const report = closing.value!
    expect(ids(report.aborted)).toEqual([1, 2])
    expect(report.unstarted).toEqual([])
    expect(report.settled).toBe(0)
    expect(report.timedOut).toBe(true)
    expect(pool.stats().counters.cancelled).toBe(2)
    expect(pool.state).toBe('closed')
  })

  it('accounts for every accepted task: settled + unstarted + aborted equals the tasks pending at close', async () => {
    const clock = createVirtualClock()
    const { calls, handler } = controlled<number>()
    const pool = createPool({ handler, concurrency: 2, clock })
    const results = [1, 2, 3, 4, 5, 6].map((x) => track(pool.run(x)))
    calls[0]!.resolve(1) // settles before close: not part of the report
    await clock.flush()
    const pendingAtClose = results.filter((r) => !r.settled).length
    expect(pendingAtClose).toBe(5)
    const closing = track(pool.close({ timeout: 100 }))
    await clock.advance(10)
    calls[1]!.resolve(2) // settles during close
    await clock.flush()
    calls[2]!.reject(new Error('fails during close'))
    await clock.advance(90)
    const report = closing.value!
    expect(report.settled).toBe(2)
    expect(report.aborted).toHaveLength(2)
    expect(report.unstarted).toHaveLength(1)
    expect(report.settled + report.unstarted.length + report.aborted.length).toBe(pendingAtClose)
    // Every task settled exactly once, and no id is listed twice.
    expect(results.every((r) => r.settled)).toBe(true)
    const listed = [...ids(report.aborted), ...ids(report.unstarted)]
    expect(new Set(listed).size).toBe(listed.length)
    expect(listed.sort()).toEqual([4, 5, 6])
  })

  it('leaves no timer of the pool once closed, with task timeouts and retry backoffs pending', async () => {
    const clock = createVirtualClock()
    let tries = 0
    const pool = createPool({
      handler: (x: number, ctx: TaskContext) =>
        new Promise<number>((_resolve, reject) => {
          tries++
          if (x === 0) reject(new Error('retry me'))
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))
        }),
      clock,
      concurrency: 2,
      taskTimeout: 10_000,
      retry: { attempts: 3, backoff: { initialMs: 5_000, jitter: 0 } },
    })
    const results = [track(pool.run(0)), track(pool.run(1)), track(pool.run(2))]
    await clock.flush()
    expect(pool.stats().delayed).toBe(1)
    expect(clock.pending).toBeGreaterThan(0)
    const closing = track(pool.close({ timeout: 100 }))
    await clock.advance(100)
    expect(closing.settled).toBe(true)
    expect(results.every((r) => r.settled)).toBe(true)
    expect(tries).toBe(3)
    expect(clock.pending).toBe(0)
  })

  it('leaves no timer after a graceful close of tasks that had a timeout', async () => {
    const clock = createVirtualClock()
    const pool = createPool({
      handler: (ms: number) => new Promise<number>((resolve) => clock.setTimeout(() => resolve(ms), ms)),
      clock,
      concurrency: 2,
      taskTimeout: 1_000,
    })
    const results = Promise.all([pool.run(10), pool.run(20), pool.run(30)])
    const closing = pool.close({ timeout: 5_000 })
    await clock.advance(100)
    expect(await results).toEqual([10, 20, 30])
    expect((await closing).timedOut).toBe(false)
    expect(clock.pending).toBe(0)
  })

  it('applies the timeout of a later close({ timeout }) to a close() already waiting without one', async () => {
    const clock = createVirtualClock()
    const pool = createPool({ handler: () => new Promise<number>(() => {}), clock })
    const hung = track(pool.run(1))
    const first = track(pool.close())
    const second = track(pool.close({ timeout: 100 }))
    await clock.advance(100)
    expect(hung).toMatchObject({ settled: true, ok: false })
    expect(first).toMatchObject({ settled: true, ok: true })
    expect(second).toMatchObject({ settled: true, ok: true })
  })
})

describe('destroy()', () => {
  it('rejects unstarted tasks and aborts running ones at once, without moving the clock', async () => {
    const clock = createVirtualClock({ now: 1000 })
    const { calls, handler } = controlled<number>()
    const pool = createPool({ handler, concurrency: 1, clock })
    const running = track(pool.run(1))
    const queued = track(pool.run(2))
    const report = await pool.destroy()
    expect(running.error).toBeInstanceOf(PoolClosedError)
    expect(queued.error).toBeInstanceOf(PoolClosedError)
    expect(calls).toHaveLength(1)
    expect(calls[0]!.signal.aborted).toBe(true)
    expect(calls[0]!.signal.reason).toBeInstanceOf(PoolClosedError)
    expect(ids(report.aborted)).toEqual([1])
    expect(ids(report.unstarted)).toEqual([2])
    expect(report.settled).toBe(0)
    expect(report.timedOut).toBe(true)
    expect(report.durationMs).toBe(0)
    expect(clock.pending).toBe(0)
    expect(pool.state).toBe('closed')
  })

  it('accounts for a task waiting out a retry backoff: it rejects with PoolClosedError and is listed in the report', async () => {
    const clock = createVirtualClock()
    const pool = createPool({
      handler: async (): Promise<number> => {
        throw new Error('always fails')
      },
      clock,
      retry: { attempts: 3, backoff: { initialMs: 1_000, jitter: 0 } },
    })
    const result = track(pool.run(1))
    await clock.flush()
    expect(pool.stats().delayed).toBe(1)
    const report = await pool.destroy()
    await clock.flush()
    expect(result.error).toBeInstanceOf(PoolClosedError)
    expect(ids([...report.unstarted, ...report.aborted])).toEqual([1])
    expect(report.settled).toBe(0)
    expect(clock.pending).toBe(0)
  })

  it('forces a graceful close that is still waiting', async () => {
    const { calls, handler } = controlled<number>()
    const pool = createPool({ handler })
    const running = track(pool.run(1))
    const closing = pool.close()
    const destroyed = pool.destroy()
    const report = await closing
    expect(await destroyed).toBe(report)
    expect(ids(report.aborted)).toEqual([1])
    expect(running.error).toBeInstanceOf(PoolClosedError)
    expect(calls[0]!.signal.aborted).toBe(true)
  })

  it('clears a pending close timer', async () => {
    const clock = createVirtualClock()
    const { handler } = controlled<number>()
    const pool = createPool({ handler, clock })
    void pool.run(1).catch(() => {})
    void pool.close({ timeout: 1_000 })
    expect(clock.pending).toBe(1)
    await pool.destroy()
    expect(clock.pending).toBe(0)
  })

  it('returns the finished report when the pool is already closed', async () => {
    const pool = createPool({ handler: (x: number) => x })
    const report = await pool.close()
    expect(await pool.destroy()).toBe(report)
  })

  it('reports the aborted and unstarted tasks to observers as cancelled and rejected', async () => {
    const { handler } = controlled<number>()
    const settled: string[] = []
    const rejected: string[] = []
    const observer: PoolObserver = {
      onSettled: (_pool, task, outcome) => settled.push(`${task.id}:${outcome}`),
      onRejected: (_pool, task, reason) => rejected.push(`${task.id}:${reason}`),
    }
    const pool = createPool({ handler, concurrency: 1, observers: [observer] })
    void pool.run(1).catch(() => {})
    void pool.run(2).catch(() => {})
    await pool.destroy()
    expect(settled).toEqual(['1:cancelled'])
    expect(rejected).toEqual(['2:closed'])
  })

  it("aborts the handler's ctx.signal when an onStarted observer destroys the pool", async () => {
    const clock = createVirtualClock()
    const seen: boolean[] = []
    let destroy: () => void = () => {}
    const handler = (_n: number, ctx: TaskContext): number => {
      seen.push(ctx.signal.aborted)
      return 1
    }
    const pool = createPool({ handler, clock, observers: [{ onStarted: () => destroy() }] })
    destroy = () => void pool.destroy()
    const result = track(pool.run(1))
    await clock.flush()
    expect(result).toMatchObject({ settled: true, ok: false })
    expect(seen.every((aborted) => aborted)).toBe(true)
  })
})

describe('Symbol.asyncDispose', () => {
  it('`await using` closes the pool at the end of the block', async () => {
    let closeSpy: { mock: { calls: unknown[] } } | undefined
    let seen: Pool<number, number> | undefined
    {
      // eslint-disable-next-line @typescript-eslint/await-thenable -- false positive: the rule misses AsyncDisposableLike's mapped [Symbol.asyncDispose] key (tsc accepts it)
      await using pool = createPool({ handler: async (x: number) => x + 1 })
      seen = pool
      closeSpy = vi.spyOn(pool, 'close')
      expect(await pool.run(1)).toBe(2)
      expect(pool.state).toBe('open')
    }
    expect(closeSpy).toHaveBeenCalledTimes(1)
    expect(seen?.state).toBe('closed')
  })

  it('waits for running tasks like close() rather than aborting them', async () => {
    const { calls, handler } = controlled<number>()
    const pool = createPool({ handler })
    const running = pool.run(1)
    const disposing = track(Promise.resolve(pool[Symbol.asyncDispose]()))
    await tick()
    expect(disposing.settled).toBe(false)
    expect(calls[0]!.signal.aborted).toBe(false)
    calls[0]!.resolve(10)
    expect(await running).toBe(10)
    await tick()
    expect(disposing.settled).toBe(true)
    expect(pool.state).toBe('closed')
  })
})

// ---------------------------------------------------------------- resize()

describe('resize()', () => {
  it('grows the pool: new workers start queued tasks at once', async () => {
    const { calls, handler } = controlled<number>()
    const pool = createPool({ handler, concurrency: 1 })
    const results = [1, 2, 3].map((x) => pool.run(x))
    expect(pool.stats().running).toBe(1)
    pool.resize(3)
    await tick()
    expect(calls).toHaveLength(3)
    const s = pool.stats()
    expect(s.workers).toEqual({ total: 3, busy: 3, idle: 0, starting: 0 })
    expect(s.targetWorkers).toBe(3)
    expect(s.concurrency).toBe(3)
    expect(s.running).toBe(3)
    calls.forEach((c) => c.resolve(c.input))
    expect(await Promise.all(results)).toEqual([1, 2, 3])
    await pool.close()
  })

  it('shrinks by retiring idle workers at once, reported as retired', async () => {
    const exits: WorkerExitReason[] = []
    const pool = createPool({
      handler: (x: number) => x,
      concurrency: 4,
      observers: [{ onWorkerExited: (_pool, _worker, reason) => exits.push(reason) }],
    })
    pool.resize(1)
    expect(pool.stats().workers).toEqual({ total: 1, busy: 0, idle: 1, starting: 0 })
    expect(pool.stats().targetWorkers).toBe(1)
    expect(exits).toEqual(['retired', 'retired', 'retired'])
    await pool.close()
  })

  it('never stops a busy worker when shrinking: busy workers retire as they finish', async () => {
    const { calls, handler } = controlled<number>()
    const exits: WorkerExitReason[] = []
    const pool = createPool({
      handler,
      concurrency: 3,
      observers: [{ onWorkerExited: (_pool, _worker, reason) => exits.push(reason) }],
    })
    const results = [1, 2, 3].map((x) => pool.run(x))
    pool.resize(1)
    expect(pool.stats().workers).toEqual({ total: 3, busy: 3, idle: 0, starting: 0 })
    expect(pool.stats().concurrency).toBe(1)
    expect(exits).toEqual([])
    expect(calls.every((c) => !c.signal.aborted)).toBe(true)
    calls[0]!.resolve(1)
    await tick()
    expect(pool.stats().workers.total).toBe(2)
    calls[1]!.resolve(2)
    await tick()
    expect(pool.stats().workers.total).toBe(1)
    calls[2]!.resolve(3)
    expect(await Promise.all(results)).toEqual([1, 2, 3])
    expect(pool.stats().workers).toEqual({ total: 1, busy: 0, idle: 1, starting: 0 })
    expect(exits).toEqual(['retired', 'retired'])
    await pool.close()
  })

  it('after shrinking busy workers, still runs the queued tasks, one at a time', async () => {
    const { calls, handler } = controlled<number>()
    const pool = createPool({ handler, concurrency: 3 })
    const first = [1, 2, 3].map((x) => pool.run(x))
    pool.resize(1)
    const later = [4, 5].map((x) => track(pool.run(x)))
    for (let i = 0; i < 3; i++) {
      calls[i]!.resolve(calls[i]!.input)
      await tick()
    }
    expect(await Promise.all(first)).toEqual([1, 2, 3])
    // The one worker left is free and two tasks wait: the next must start.
    expect(pool.stats().running).toBe(1)
    expect(calls).toHaveLength(4)
    calls[3]?.resolve(4)
    await tick()
    expect(pool.stats().running).toBe(1)
    expect(calls).toHaveLength(5)
    calls[4]?.resolve(5)
    await tick()
    expect(later.map((t) => t.value)).toEqual([4, 5])
    await pool.destroy()
  })

  it('after shrinking busy workers, a new task starts on the remaining idle worker', async () => {
    const { calls, handler } = controlled<number>()
    const pool = createPool({ handler, concurrency: 2 })
    const first = [1, 2].map((x) => pool.run(x))
    pool.resize(1)
    calls[0]!.resolve(1)
    calls[1]!.resolve(2)
    expect(await Promise.all(first)).toEqual([1, 2])
    expect(pool.stats().workers).toEqual({ total: 1, busy: 0, idle: 1, starting: 0 })
    const next = track(pool.run(3))
    await tick()
    expect(calls).toHaveLength(3)
    calls[2]?.resolve(3)
    await tick()
    expect(next.value).toBe(3)
    await pool.destroy()
  })

  it('refuses a size that is not a positive integer with a TypeError naming the value', async () => {
    const pool = createPool({ handler: (x: number) => x })
    expect(() => pool.resize(0)).toThrow(TypeError)
    expect(() => pool.resize(1.5)).toThrow(/1\.5/)
    expect(pool.stats().targetWorkers).toBe(1)
    await pool.close()
  })

  it('is ignored once the pool is closed', async () => {
    const pool = createPool({ handler: (x: number) => x, concurrency: 2 })
    await pool.close()
    pool.resize(5)
    expect(pool.stats().workers.total).toBe(0)
    expect(pool.stats().targetWorkers).toBe(2)
  })
})

// ---------------------------------------------------------------- stats()

describe('stats()', () => {
  it('reports every field for a fresh pool', async () => {
    const pool = createPool({ handler: (x: number) => x, concurrency: 2, name: 'fetchers' })
    expect(pool.stats()).toEqual({
      name: 'fetchers',
      executor: 'in-process',
      targetWorkers: 2,
      concurrency: 2,
      capacity: 2,
      workers: { total: 2, busy: 0, idle: 2, starting: 0 },
      perWorker: [
        { id: 1, state: 'ready', running: 0, capacity: 1, finished: 0, eventLoopUtilization: undefined, heapUsed: undefined },
        { id: 2, state: 'ready', running: 0, capacity: 1, finished: 0, eventLoopUtilization: undefined, heapUsed: undefined },
      ],
      queued: 0,
      running: 0,
      delayed: 0,
      waitingForRoom: 0,
      counters: { submitted: 0, started: 0, completed: 0, failed: 0, rejected: 0, cancelled: 0, timedOut: 0, retried: 0, deadLettered: 0 },
      meanWaitMs: 0,
      meanRunMs: 0,
      state: 'open',
    })
    expect(pool.name).toBe('fetchers')
    await pool.close()
  })

  it('counts queued, running, delayed and waiting-for-room tasks', async () => {
    const clock = createVirtualClock()
    const { calls, handler } = controlled<number>()
    const pool = createPool({
      handler,
      clock,
      concurrency: 1,
      maxQueue: 1,
      onQueueFull: 'wait',
      retry: { attempts: 2, backoff: { initialMs: 100, jitter: 0 } },
    })
    const all = [pool.run(1), pool.run(2), pool.run(3)].map((p) => track(p))
    let s = pool.stats()
    expect([s.running, s.queued, s.waitingForRoom, s.delayed]).toEqual([1, 1, 1, 0])
    expect(s.workers).toEqual({ total: 1, busy: 1, idle: 0, starting: 0 })
    calls[0]!.reject(new Error('retry'))
    await clock.flush()
    s = pool.stats()
    expect([s.running, s.queued, s.waitingForRoom, s.delayed]).toEqual([1, 1, 0, 1])
    expect(s.counters.retried).toBe(1)
    await pool.destroy()
    expect(all.every((t) => t.settled)).toBe(true)
  })

  it('reports mean wait and run time per attempt on the pool clock', async () => {
    const clock = createVirtualClock()
    const pool = createPool({
      handler: (ms: number) => new Promise<number>((resolve) => clock.setTimeout(() => resolve(ms), ms)),
      clock,
      concurrency: 1,
    })
    const results = Promise.all([pool.run(100), pool.run(50)])
    await clock.advance(150)
    expect(await results).toEqual([100, 50])
    const s = pool.stats()
    // Task 1 waited 0 and ran 100; task 2 waited 100 and ran 50.
    expect(s.meanWaitMs).toBe(50)
    expect(s.meanRunMs).toBe(75)
    await pool.close()
  })

  it('gives submit() callbacks the wait and run time of their task', async () => {
    const clock = createVirtualClock()
    const pool = createPool({
      handler: (ms: number) => new Promise<number>((resolve) => clock.setTimeout(() => resolve(ms), ms)),
      clock,
      concurrency: 1,
    })
    const results: TaskResult<number>[] = []
    pool.submit(30, (r) => results.push(r))
    pool.submit(20, (r) => results.push(r))
    await clock.advance(50)
    expect(results).toEqual([
      { id: 1, ok: true, value: 30, waitMs: 0, runMs: 30, attempts: 1 },
      { id: 2, ok: true, value: 20, waitMs: 30, runMs: 20, attempts: 1 },
    ])
    await pool.close()
  })

  it('tracks the state through pause, resume and close', async () => {
    const { calls, handler } = controlled<number>()
    const pool = createPool({ handler })
    expect(pool.stats().state).toBe('open')
    pool.pause()
    expect(pool.stats().state).toBe('paused')
    expect(pool.state).toBe('paused')
    pool.resume()
    expect(pool.stats().state).toBe('open')
    void pool.run(1)
    const closing = pool.close()
    expect(pool.stats().state).toBe('closing')
    calls[0]!.resolve(1)
    await closing
    expect(pool.stats().state).toBe('closed')
    expect(pool.stats().workers.total).toBe(0)
  })

  it('counts each outcome once', async () => {
    const clock = createVirtualClock()
    const pool = createPool({
      handler: (x: number, ctx: TaskContext) =>
        new Promise<number>((resolve, reject) => {
          if (x === 1) resolve(1)
          else if (x === 2) reject(new Error('fail'))
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))
        }),
      clock,
      concurrency: 4,
      maxQueue: 0,
    })
    const controller = new AbortController()
    const outcomes = Promise.allSettled([
      pool.run(1),
      pool.run(2),
      pool.run(3, { timeout: 10 }),
      pool.run(4, { signal: controller.signal }),
      pool.run(5), // the queue holds nothing and every worker is busy: refused
    ])
    controller.abort()
    await clock.advance(10)
    await outcomes
    expect(pool.stats().counters).toEqual({
      submitted: 5,
      started: 4,
      completed: 1,
      failed: 1,
      rejected: 1,
      cancelled: 1,
      timedOut: 1,
      retried: 0,
      deadLettered: 0,
    })
    await pool.close()
  })
})
