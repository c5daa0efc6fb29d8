import { afterEach, describe, expect, it, vi } from 'vitest'
import { createPool, createVirtualClock, WorkerExitError, WorkerStartError } from '../src/index.js'
import { cooperative, deserializeError, runWorker, serializeError } from '../src/worker.js'
import type {
  Breaker,
  Executor,
  SpawnContext,
  TaskContext,
  TaskInfo,
  TaskQueue,
  TaskResult,
} from '../src/index.js'
import type { MainMessage, WorkerEndpoint, WorkerTaskContext } from '../src/worker.js'
import { gate, sleep, track } from './support.js'

// Review tests: each states the behaviour the spec, docs or DESIGN.md invariants require.

// ---------------------------------------------------------------- helpers

/** Sleeps on the virtual clock. */
/** A breaker that lets everything through unless the test's functions say otherwise. */
function breakerWith(acquire: (t: TaskInfo) => ReturnType<Breaker['acquire']>): Breaker {
  return {
    admit: () => undefined,
    acquire,
    onSuccess: () => {},
    onFailure: () => {},
    onCancel: () => {},
  }
}

/** An endless source that counts how many inputs were pulled from it. */
function endless() {
  const source = {
    pulled: 0,
    *[Symbol.iterator](): Iterator<number> {
      for (;;) yield source.pulled++
    },
  }
  return source
}

// ---------------------------------------------------------------- breaker

describe('review: breaker hold at acquire', () => {
  it('does not spin in dispatch when acquire holds a task with retryAt <= now: the task waits for the clock', async () => {
    const clock = createVirtualClock({ now: 1000 })
    let acquireCalls = 0
    // Holds with retryAt = now (a probe is already out) up to 10,000 times, then lets it through.
    const breaker = breakerWith(() => (++acquireCalls <= 10_000 ? { retryAt: clock.now(), hold: true } : undefined))
    const pool = createPool({ handler: (n: number) => n, clock, breaker })
    const result = track(pool.run(1, { key: 'k' }))
    // Synchronously after run(): the held task must not have been asked again and again in one pass.
    expect(acquireCalls).toBeLessThanOrEqual(2)
    await pool.destroy()
    await clock.flush()
    expect(result.status).toBe('rejected')
  })
})

// ---------------------------------------------------------------- re-entrancy

describe('review: re-entrancy from observers and callbacks', () => {
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
    expect(result.status).toBe('rejected')
    expect(seen.every((aborted) => aborted)).toBe(true)
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
})

// ---------------------------------------------------------------- close

describe('review: close() called twice', () => {
  it('applies the timeout of a later close({ timeout }) to a close() already waiting without one', async () => {
    const clock = createVirtualClock()
    const pool = createPool({ handler: () => new Promise<number>(() => {}), clock })
    const hung = track(pool.run(1))
    const first = track(pool.close())
    const second = track(pool.close({ timeout: 100 }))
    await clock.advance(100)
    expect(hung.status).toBe('rejected')
    expect(first.status).toBe('fulfilled')
    expect(second.status).toBe('fulfilled')
  })
})

// ---------------------------------------------------------------- TaskResult timings

describe('review: TaskResult.waitMs', () => {
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

// ---------------------------------------------------------------- workers that stop starting

/**
 * An executor whose first spawn works and every later one throws. `runs` holds
 * the run promises' settle functions; `crash()` rejects every run of worker 1
 * with WorkerExitError (`started` decides taskStarted), then reports the exit.
 */
function firstSpawnOnly(tasksPerWorker = 1) {
  let spawns = 0
  let context: SpawnContext | undefined
  const runs: { input: number; reject(e: unknown): void }[] = []
  const executor: Executor<number, number> = {
    kind: 'fake',
    tasksPerWorker,
    spawn(ctx) {
      if (++spawns > 1) throw new Error(`spawn ${spawns} failed`)
      context = ctx
      return {
        id: ctx.workerId,
        run: (input) => new Promise<number>((_resolve, reject) => void runs.push({ input, reject })),
        terminate: () => Promise.resolve(),
      }
    },
  }
  const crash = (started: (input: number) => boolean): void => {
    for (const r of runs.splice(0)) r.reject(new WorkerExitError({ workerId: 1, exitCode: 1, taskStarted: started(r.input) }))
    context!.onExit({ exitCode: 1 })
  }
  return { executor, crash }
}

describe('review: tasks that come back to the queue after the pool gave up starting workers', () => {
  it('settles a task whose retry falls due after the pool gave up (no worker will ever take it), and close() resolves', async () => {
    const clock = createVirtualClock()
    const fake = firstSpawnOnly()
    const pool = createPool({
      executor: fake.executor,
      clock,
      concurrency: 1,
      maxStartFailures: 1,
      retry: { attempts: 2, backoff: { initialMs: 10, jitter: 0 } },
    })
    pool.on('error', () => {})
    const task = track(pool.run(1))
    await clock.flush()
    fake.crash(() => true) // the replacement spawn throws: the pool gives up
    await expect(pool.run(2)).rejects.toBeInstanceOf(WorkerStartError)
    await clock.advance(10) // the retry falls due
    expect(task.status).toBe('rejected')
    const closed = track(pool.close())
    await clock.flush()
    expect(closed.status).toBe('fulfilled')
  })

  it('settles a task handed to a dead worker but never started when the pool gave up meanwhile', async () => {
    const clock = createVirtualClock()
    const fake = firstSpawnOnly(2)
    const pool = createPool({ executor: fake.executor, clock, concurrency: 1, maxStartFailures: 1 })
    pool.on('error', () => {})
    const first = track(pool.run(1))
    const second = track(pool.run(2))
    await clock.flush()
    fake.crash((input) => input === 1) // task 2 was waiting behind task 1 in the worker
    await clock.flush()
    expect(first.status).toBe('rejected')
    expect(second.status).toBe('rejected')
    const closed = track(pool.close())
    await clock.flush()
    expect(closed.status).toBe('fulfilled')
  })
})

// ---------------------------------------------------------------- idle

describe("review: the 'idle' event", () => {
  it('fires once when a timed-out handler returns after its task already settled (no work in between)', async () => {
    const clock = createVirtualClock()
    const pool = createPool({ handler: () => sleep(clock, 200).then(() => 1), clock, taskTimeout: 100 })
    let idles = 0
    pool.on('idle', () => idles++)
    const result = track(pool.run(1))
    await clock.advance(100)
    expect(result.status).toBe('rejected')
    expect(idles).toBe(1)
    await clock.advance(100) // the handler returns; the pool was idle and stays idle
    expect(idles).toBe(1)
    await pool.close()
  })
})

// ---------------------------------------------------------------- contracts

describe('review: the TaskQueue contract of the issue', () => {
  it('accepts a queue with exactly push, shift, remove, size and clear (the methods the issue names)', async () => {
    const items: TaskInfo[] = []
    const queue: TaskQueue = {
      get size() {
        return items.length
      },
      push: (t: TaskInfo) => void items.push(t),
      shift: () => items.shift(),
      remove: (t: TaskInfo) => {
        const i = items.indexOf(t)
        if (i === -1) return false
        items.splice(i, 1)
        return true
      },
      clear: () => items.splice(0),
    } as unknown as TaskQueue
    const pool = createPool({ handler: (n: number) => n * 2, queue })
    expect(await Promise.all([pool.run(1), pool.run(2)])).toEqual([2, 4])
    await pool.close()
  })
})

// ---------------------------------------------------------------- systemClock

describe('review: long timeouts on the system clock', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('does not time out a task with a taskTimeout above 2^31-1 ms after 1 ms (Node clamps such delays to 1 ms)', async () => {
    vi.useFakeTimers()
    const pool = createPool({ handler: () => new Promise<number>(() => {}), taskTimeout: 2 ** 31 })
    const result = track(pool.run(1))
    await vi.advanceTimersByTimeAsync(10)
    expect(result.status).toBe('pending')
    void pool.destroy()
    await vi.advanceTimersByTimeAsync(0)
  })
})

// ---------------------------------------------------------------- map() and runAll()

describe('review: map() and runAll() with a signal', () => {
  it('runAll() never starts a task when its signal is already aborted, and rejects with the reason', async () => {
    const clock = createVirtualClock()
    const handler = vi.fn((n: number) => n)
    const pool = createPool({ handler, clock, concurrency: 2 })
    const reason = new Error('already aborted')
    const result = track(pool.runAll([1, 2, 3], { signal: AbortSignal.abort(reason) }))
    await clock.flush()
    expect(handler).not.toHaveBeenCalled()
    expect(result.status).toBe('rejected')
    expect(result.error).toBe(reason)
    await pool.close()
  })

  it('map() never starts a task when its signal is already aborted', async () => {
    const clock = createVirtualClock()
    const handler = vi.fn((n: number) => n)
    const pool = createPool({ handler, clock, concurrency: 2 })
    const reason = new Error('already aborted')
    const seen: TaskResult<number>[] = []
    const done = (async () => {
      for await (const r of pool.map([1, 2, 3], { signal: AbortSignal.abort(reason) })) seen.push(r)
    })().catch((e: unknown) => e)
    await clock.flush()
    await done
    expect(handler).not.toHaveBeenCalled()
    expect(seen.every((r) => !r.ok)).toBe(true)
    await pool.close()
  })

  it('map() over an endless input stops pulling inputs and ends once its signal aborts', async () => {
    const clock = createVirtualClock()
    const pool = createPool({ handler: (n: number) => n, clock, concurrency: 2 })
    const source = endless()
    const controller = new AbortController()
    let yielded = 0
    let ended = false
    const done = (async () => {
      for await (const _r of pool.map(source, { signal: controller.signal, window: 4 })) {
        yielded++
        if (yielded === 3) controller.abort(new Error('stop'))
        if (yielded >= 1000) return // guard: the bug keeps yielding forever
      }
      ended = true
    })().then(
      () => {},
      () => {
        ended = true
      },
    )
    await done
    expect(ended).toBe(true)
    expect(yielded).toBeLessThan(20)
    expect(source.pulled).toBeLessThan(20)
    await pool.close()
  })
})

describe('review: map() and runAll() behaviour (not covered elsewhere)', () => {
  it('map() refuses invalid task options with a TypeError instead of yielding one failure per input', async () => {
    const pool = createPool({ handler: (n: number) => n })
    const out: TaskResult<number>[] = []
    const error = await (async () => {
      for await (const r of pool.map([1, 2, 3], { priority: Number.NaN })) out.push(r)
    })().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TypeError)
    expect(out).toHaveLength(0)
    await pool.close()
  })

  it('map() yields TaskResults in input order by default, whatever order the tasks finish in', async () => {
    const clock = createVirtualClock()
    const pool = createPool({ handler: (ms: number) => sleep(clock, ms).then(() => ms), clock, concurrency: 4 })
    const out: number[] = []
    const done = (async () => {
      for await (const r of pool.map([30, 10, 20])) out.push(r.ok ? r.value : -1)
    })()
    await clock.runAll()
    await done
    expect(out).toEqual([30, 10, 20])
    await pool.close()
  })

  it('map({ ordered: false }) yields TaskResults as they complete', async () => {
    const clock = createVirtualClock()
    const pool = createPool({ handler: (ms: number) => sleep(clock, ms).then(() => ms), clock, concurrency: 4 })
    const out: number[] = []
    const done = (async () => {
      for await (const r of pool.map([30, 10, 20], { ordered: false })) out.push(r.ok ? r.value : -1)
    })()
    await clock.runAll()
    await done
    expect(out).toEqual([10, 20, 30])
    await pool.close()
  })

  it('map() keeps at most `window` inputs pulled and not yet yielded', async () => {
    const clock = createVirtualClock()
    const pool = createPool({ handler: (n: number) => sleep(clock, 10).then(() => n), clock, concurrency: 2 })
    const source = endless()
    const it = pool.map(source, { window: 5 })[Symbol.asyncIterator]()
    const first = it.next()
    await clock.flush()
    expect(source.pulled).toBe(5)
    await clock.advance(10)
    await first
    expect(source.pulled - 1).toBeLessThanOrEqual(5)
    await it.return(undefined)
    await clock.runAll()
    await pool.close()
  })

  it("map(): breaking out of the loop aborts the in-flight tasks' signals and stops pulling", async () => {
    const clock = createVirtualClock()
    const signals: AbortSignal[] = []
    const pool = createPool({
      handler: (n: number, ctx: TaskContext) => {
        signals.push(ctx.signal)
        return n === 0 ? n : new Promise<number>(() => {})
      },
      clock,
      concurrency: 3,
    })
    const source = endless()
    for await (const r of pool.map(source, { window: 3 })) {
      expect(r.ok).toBe(true)
      break
    }
    const pulled = source.pulled
    await clock.flush()
    expect(source.pulled).toBe(pulled)
    expect(signals.slice(1).length).toBeGreaterThan(0)
    expect(signals.slice(1).every((s) => s.aborted)).toBe(true)
    expect(pool.stats().counters.cancelled).toBe(signals.length - 1)
    await pool.close()
  })

  it('map() takes an async iterable', async () => {
    const clock = createVirtualClock()
    const pool = createPool({ handler: (n: number) => n * 2, clock, concurrency: 2 })
    async function* gen() {
      yield 1
      yield 2
      yield 3
    }
    const out: number[] = []
    for await (const r of pool.map(gen())) out.push(r.ok ? r.value : -1)
    expect(out).toEqual([2, 4, 6])
    await pool.close()
  })

  it('runAll() resolves to the outputs in input order and reports progress (done, total)', async () => {
    const clock = createVirtualClock()
    const pool = createPool({ handler: (ms: number) => sleep(clock, ms).then(() => ms * 2), clock, concurrency: 3 })
    const progress: [number, number | undefined][] = []
    const result = track(pool.runAll([30, 10, 20], { onProgress: (d, t) => progress.push([d, t]) }))
    await clock.runAll()
    expect(result.value).toEqual([60, 20, 40])
    expect(progress).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ])
    await pool.close()
  })

  it('runAll() rejects with the first failure and cancels the tasks still running', async () => {
    const clock = createVirtualClock()
    const boom = new Error('boom')
    const signals: AbortSignal[] = []
    const pool = createPool({
      handler: (n: number, ctx: TaskContext) => {
        signals.push(ctx.signal)
        return n === 2 ? sleep(clock, 5).then(() => Promise.reject(boom)) : new Promise<number>(() => {})
      },
      clock,
      concurrency: 3,
    })
    const result = track(pool.runAll([1, 2, 3]))
    await clock.advance(5)
    expect(result.error).toBe(boom)
    expect(signals).toHaveLength(3)
    expect(signals[0]!.aborted && signals[2]!.aborted).toBe(true)
    await pool.destroy()
  })

  it('runAll() resolves to [] for an empty input without starting anything', async () => {
    const handler = vi.fn((n: number) => n)
    const pool = createPool({ handler })
    expect(await pool.runAll([])).toEqual([])
    expect(handler).not.toHaveBeenCalled()
    await pool.close()
  })

  it('map(): a source whose return() rejects on early exit causes no unhandled rejection', async () => {
    const clock = createVirtualClock()
    const unhandled: unknown[] = []
    const onUnhandled = (e: unknown): void => void unhandled.push(e)
    process.on('unhandledRejection', onUnhandled)
    try {
      const pool = createPool({ handler: (n: number) => n, clock, concurrency: 2 })
      const cleanupFailed = new Error('cursor close failed')
      let i = 0
      const source: AsyncIterable<number> = {
        [Symbol.asyncIterator]: () => ({
          next: () => Promise.resolve({ done: false, value: i++ }),
          return: () => Promise.reject(cleanupFailed),
        }),
      }
      for await (const _r of pool.map(source)) break
      await clock.flush()
      await clock.flush()
      expect(unhandled).not.toContain(cleanupFailed)
      await pool.close()
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })
})

// ---------------------------------------------------------------- protocol

describe('review: error serialisation', () => {
  it('serializeError terminates on two errors that reference each other through fields', () => {
    const a = new Error('a') as Error & Record<string, unknown>
    const b = new Error('b') as Error & Record<string, unknown>
    a.peer = b
    b.peer = a
    expect(() => serializeError(a)).not.toThrow()
  })

  it('serializeError terminates on an error whose cause points back at it through a field', () => {
    const inner = new Error('inner') as Error & Record<string, unknown>
    const outer = new Error('outer', { cause: inner })
    inner.outer = outer
    expect(() => serializeError(outer)).not.toThrow()
  })

  it('deserializeError rebuilds errors held in an array field (round trip of `errors: [Error]`)', () => {
    const error = new Error('many') as Error & Record<string, unknown>
    error.errors = [new TypeError('first'), new Error('second')]
    const back = deserializeError(structuredClone(serializeError(error))) as Error & { errors: unknown[] }
    expect(back.errors[0]).toBeInstanceOf(TypeError)
    expect((back.errors[0] as Error).message).toBe('first')
    expect(back.errors[1]).toBeInstanceOf(Error)
  })
})

describe('review: runWorker with two attempts of one task id', () => {
  it('still aborts a later attempt after an earlier attempt of the same task id settled', async () => {
    const posted: unknown[] = []
    let listener: (m: MainMessage) => void = () => {}
    const endpoint: WorkerEndpoint = {
      post: (m) => void posted.push(m),
      listen: (l) => void (listener = l),
      close: () => {},
    }
    const finishFirst = gate<string>()
    const signals: AbortSignal[] = []
    runWorker(
      {
        work: cooperative((_input: unknown, ctx: WorkerTaskContext) => {
          signals.push(ctx.signal)
          if (ctx.attempt === 1) return finishFirst.promise
          return new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)))
        }),
      },
      endpoint,
    )
    // A worker that runs two tasks at once (tasksPerWorker 2). Attempt 1 timed out on the
    // main side but still runs (cooperative, slow to stop); attempt 2 lands on the same worker.
    listener({ type: 'configure', concurrency: 2, reportHeap: false })
    // Each run has its own id on the connection; both carry task 7 for the context.
    listener({ type: 'run', id: 1, task: 7, name: 'work', input: null, attempt: 1 })
    listener({ type: 'run', id: 2, task: 7, name: 'work', input: null, attempt: 2 })
    finishFirst.resolve('late')
    await Promise.resolve()
    await Promise.resolve()
    listener({ type: 'abort', id: 2, reason: serializeError(new Error('cancel attempt 2')) })
    expect(signals).toHaveLength(2)
    expect(signals[1]!.aborted).toBe(true)
  })
})
