import { describe, expect, it, vi } from 'vitest'
import { createPool, createVirtualClock } from '../src/index.js'
import type { TaskContext, TaskResult } from '../src/index.js'
import { sleep, track } from './support.js'

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

describe('map()', () => {
  it('yields TaskResults in input order by default, whatever order the tasks finish in', async () => {
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

  it('takes an async iterable', async () => {
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

  it('refuses invalid task options with a TypeError instead of yielding one failure per input', async () => {
    const pool = createPool({ handler: (n: number) => n })
    const out: TaskResult<number>[] = []
    const error = await (async () => {
      for await (const r of pool.map([1, 2, 3], { priority: Number.NaN })) out.push(r)
    })().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TypeError)
    expect(out).toHaveLength(0)
    await pool.close()
  })

  it('keeps at most `window` inputs pulled and not yet yielded', async () => {
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

  it("breaking out of the loop aborts the in-flight tasks' signals and stops pulling", async () => {
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

  it("causes no unhandled rejection when the source's return() rejects on early exit", async () => {
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

  it('never starts a task when its signal is already aborted', async () => {
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

  it('stops pulling from an endless input and ends once its signal aborts', async () => {
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

describe('runAll()', () => {
  it('resolves to the outputs in input order and reports progress (done, total)', async () => {
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

  it('rejects with the first failure and cancels the tasks still running', async () => {
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

  it('resolves to [] for an empty input without starting anything', async () => {
    const handler = vi.fn((n: number) => n)
    const pool = createPool({ handler })
    expect(await pool.runAll([])).toEqual([])
    expect(handler).not.toHaveBeenCalled()
    await pool.close()
  })

  it('never starts a task when its signal is already aborted, and rejects with the reason', async () => {
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
})
