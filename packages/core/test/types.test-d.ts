import { describe, expectTypeOf, it } from 'vitest'
import { createPool, type CloseReport, type Executor, type Pool, type PoolStats, type TaskContext, type TaskResult } from '../src/index.js'

describe('createPool type inference', () => {
  it('infers Pool<number, string> from an async handler', () => {
    const pool = createPool({ handler: async (x: number) => String(x) })
    expectTypeOf(pool).toEqualTypeOf<Pool<number, string>>()
  })

  it('infers input and output from a sync handler', () => {
    const pool = createPool({ handler: (x: { id: string }) => x.id.length })
    expectTypeOf(pool).toEqualTypeOf<Pool<{ id: string }, number>>()
  })

  it('infers from a handler that uses its context', () => {
    const pool = createPool({
      handler: async (url: string, ctx) => {
        expectTypeOf(ctx).toEqualTypeOf<TaskContext>()
        expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>()
        expectTypeOf(ctx.attempt).toEqualTypeOf<number>()
        return { url, ok: true as boolean }
      },
    })
    expectTypeOf(pool).toEqualTypeOf<Pool<string, { url: string; ok: boolean }>>()
  })

  it('infers from an executor', () => {
    const executor = {} as Executor<Uint8Array, number>
    const pool = createPool({ executor })
    expectTypeOf(pool).toEqualTypeOf<Pool<Uint8Array, number>>()
  })
})

describe('Pool methods', () => {
  const pool = createPool({ handler: async (x: number) => String(x) })

  it('run() takes the input type and resolves to the output type', () => {
    expectTypeOf(pool.run).parameter(0).toEqualTypeOf<number>()
    expectTypeOf(pool.run(1)).toEqualTypeOf<Promise<string>>()
    expectTypeOf(pool.run(1, { priority: 2, timeout: 100, key: 'k', signal: new AbortController().signal })).toEqualTypeOf<Promise<string>>()
  })

  it('run() refuses an input of the wrong type', () => {
    // @ts-expect-error a string is not a number
    void pool.run('1')
    // @ts-expect-error the input is required
    void pool.run()
    // @ts-expect-error unknown run option
    void pool.run(1, { prio: 2 })
  })

  it('submit() hands the callback a TaskResult of the output type and returns the id', () => {
    const id = pool.submit(1, (result) => {
      expectTypeOf(result).toEqualTypeOf<TaskResult<string>>()
      if (result.ok) expectTypeOf(result.value).toEqualTypeOf<string>()
      else expectTypeOf(result.error).toEqualTypeOf<unknown>()
    })
    expectTypeOf(id).toEqualTypeOf<number>()
    // @ts-expect-error a string is not a number
    pool.submit('x', () => {})
  })

  it('map() yields TaskResult<string>', () => {
    const results = pool.map([1, 2, 3])
    expectTypeOf(results).toEqualTypeOf<AsyncGenerator<TaskResult<string>, void, undefined>>()
    async function consume(): Promise<void> {
      for await (const r of pool.map([1, 2, 3], { ordered: false, window: 4 })) {
        expectTypeOf(r).toEqualTypeOf<TaskResult<string>>()
      }
    }
    void consume
    // @ts-expect-error the inputs must be numbers
    void pool.map(['a'])
  })

  it('map() and runAll() take async iterables of the input type', () => {
    async function* numbers(): AsyncGenerator<number> {
      yield 1
    }
    expectTypeOf(pool.map(numbers())).toEqualTypeOf<AsyncGenerator<TaskResult<string>, void, undefined>>()
    expectTypeOf(pool.runAll(numbers())).toEqualTypeOf<Promise<string[]>>()
  })

  it('runAll() resolves to an array of outputs', () => {
    expectTypeOf(pool.runAll([1, 2])).toEqualTypeOf<Promise<string[]>>()
    void pool.runAll(new Set([1]), {
      // compiled, never run
      onProgress: (done, total) => {
        expectTypeOf(done).toEqualTypeOf<number>()
        expectTypeOf(total).toEqualTypeOf<number | undefined>()
      },
    })
    // @ts-expect-error the inputs must be numbers
    void pool.runAll(['a'])
  })

  it('lifecycle methods have their documented types', () => {
    expectTypeOf(pool.close()).toEqualTypeOf<Promise<CloseReport>>()
    expectTypeOf(pool.destroy()).toEqualTypeOf<Promise<CloseReport>>()
    expectTypeOf(pool.ready()).toEqualTypeOf<Promise<void>>()
    expectTypeOf(pool.onIdle()).toEqualTypeOf<Promise<void>>()
    expectTypeOf(pool.stats()).toEqualTypeOf<PoolStats>()
    expectTypeOf(pool[Symbol.asyncDispose]()).toEqualTypeOf<Promise<void>>()
    expectTypeOf(pool).toMatchTypeOf<AsyncDisposable>()
  })

  it('on() types each event listener and returns an unsubscribe', () => {
    expectTypeOf(pool.on('idle', () => {})).toEqualTypeOf<() => void>()
    pool.on('close', (report) => expectTypeOf(report).toEqualTypeOf<CloseReport>())
    pool.on('error', (error) => expectTypeOf(error).toEqualTypeOf<unknown>())
    // @ts-expect-error not an event of the pool
    pool.on('finished', () => {})
    // @ts-expect-error the close listener gets a report, not a number
    pool.on('close', (report: number) => void report)
  })
})
