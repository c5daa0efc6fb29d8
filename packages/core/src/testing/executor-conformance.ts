import type { Executor } from '../contracts/executor.js'
import type { TaskContext } from '../contracts/task.js'
import { isPoolError, TaskTimeoutError, WorkerExitError } from '../errors.js'
import { createPool } from '../pool.js'
import { cooperative } from '../protocol/worker-runtime.js'
import type { TaskFunctions, WorkerTaskContext } from '../protocol/worker-runtime.js'
import { createVirtualClock } from '../virtual-clock.js'
import type { TestApi } from './test-api.js'
import { equal, ok } from './test-api.js'

/**
 * The task functions the executor conformance suite calls. An adapter's test
 * worker exposes them as they are: `expose(conformanceFunctions)`.
 * @public
 */
export const conformanceFunctions: TaskFunctions = {
  /** Returns its input. */
  echo: (input: unknown) => input,
  /** Resolves to its input after a microtask. */
  echoAsync: async (input: unknown) => input,
  /** Throws an error built from `{ name, message, code, cause, detail }`. */
  fail: (input: { name?: string; message: string; code?: string; cause?: string; detail?: unknown }) => {
    const error = new Error(input.message, input.cause === undefined ? undefined : { cause: new Error(input.cause) }) as Error & Record<string, unknown>
    if (input.name !== undefined) error.name = input.name
    if (input.code !== undefined) error.code = input.code
    if (input.detail !== undefined) error.detail = input.detail
    throw error
  },
  /** Throws its input as it is (not an Error). */
  throwValue: (input: unknown) => {
    throw input
  },
  /** Reports what its context says. */
  context: (_input: unknown, context: WorkerTaskContext) => ({ id: context.id, attempt: context.attempt, key: context.key ?? null }),
  /** Settles only when its signal aborts, rejecting with the reason: cooperative cancellation. */
  waitForAbort: cooperative(
    (_input: unknown, context: WorkerTaskContext) =>
      new Promise((_resolve, reject) => {
        if (context.signal.aborted) reject(context.signal.reason)
        context.signal.addEventListener('abort', () => reject(context.signal.reason), { once: true })
      }),
  ),
  /** Never settles and ignores its signal: only terminating the worker stops it. */
  hang: () => new Promise(() => {}),
}

/**
 * `conformanceFunctions` as an in-process handler: the task's `name` picks the
 * function.
 * @public
 */
export function conformanceHandler(input: unknown, context: TaskContext): unknown {
  const fn = conformanceFunctions[context.name ?? 'echo']
  if (fn === undefined) throw new TypeError(`The worker exposes no function "${context.name}"`)
  return fn(input, context)
}

/**
 * Options of {@link runExecutorConformance}.
 * @public
 */
export interface ExecutorConformanceOptions {
  /**
   * Whether a running task that is aborted or times out stops real work by
   * terminating its worker (threads, processes, Web Workers), after which the
   * pool starts a replacement. False for in-process executors.
   * @defaultValue true
   */
  terminatesOnAbort?: boolean
  /**
   * The name of an exposed function that makes its worker exit abruptly (for
   * example `process.exit(1)` in Node), to check crash reporting; leave it out
   * where the runtime has no such thing.
   */
  crashFunction?: string
}

function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`conformance: expected a rejection, got ${JSON.stringify(value)}`)
    },
    (error: unknown) => error,
  )
}

/**
 * The shared checks every `Executor` passes when a pool drives it: start-up,
 * values and errors crossing to the worker and back, named functions, context,
 * the concurrency limit, cooperative and forced cancellation, timeouts, crash
 * replacement, and a clean close. `factory` returns an executor whose workers
 * expose {@link conformanceFunctions}.
 * @public
 */
export function runExecutorConformance(name: string, factory: () => Executor, test: TestApi, options: ExecutorConformanceOptions = {}): void {
  const terminates = options.terminatesOnAbort !== false
  const pool = (extra: { concurrency?: number; taskTimeout?: number; clock?: ReturnType<typeof createVirtualClock> } = {}) =>
    createPool<unknown, unknown>({ executor: factory(), concurrency: extra.concurrency ?? 2, ...extra })

  test.describe(`Executor conformance: ${name}`, () => {
    test.it('starts the configured number of workers and reports ready', async () => {
      const p = pool({ concurrency: 3 })
      await p.ready()
      equal(p.stats().workers.total, 3, 'workers after ready()')
      equal(p.stats().workers.starting, 0, 'workers still starting after ready()')
      await p.close()
    })

    test.it('returns structured values unchanged, sync and async', async () => {
      const p = pool()
      const value = { n: 1.5, s: 'é', list: [1, [2, { deep: true }]], none: null }
      equal(await p.run(value, { name: 'echo' }), value, 'echo')
      equal(await p.run(value, { name: 'echoAsync' }), value, 'echoAsync')
      await p.close()
    })

    test.it("carries a thrown error's name, message, code, cause and fields back to the caller", async () => {
      const p = pool()
      const error = (await rejection(p.run({ name: 'QuotaError', message: 'over quota', code: 'E_QUOTA', cause: 'upstream 429', detail: { limit: 5 } }, { name: 'fail' }))) as Error & {
        code?: string
        detail?: unknown
      }
      ok(error instanceof Error, 'the rejection is an Error')
      equal(error.name, 'QuotaError', 'name')
      equal(error.message, 'over quota', 'message')
      equal(error.code, 'E_QUOTA', 'code')
      ok(error.cause instanceof Error && error.cause.message === 'upstream 429', 'cause')
      equal(error.detail, { limit: 5 }, 'own field')
      equal(await p.run(1, { name: 'echo' }), 1, 'the pool keeps serving after a failure')
      await p.close()
    })

    test.it('carries a thrown non-error value back as it is', async () => {
      const p = pool()
      equal(await rejection(p.run('plain text', { name: 'throwValue' })), 'plain text', 'thrown string')
      equal(await rejection(p.run({ code: 7 }, { name: 'throwValue' })), { code: 7 }, 'thrown object')
      await p.close()
    })

    test.it('calls the named function and rejects an unknown name with a TypeError naming it', async () => {
      const p = pool()
      const error = await rejection(p.run(1, { name: 'noSuchFunction' }))
      ok(error instanceof Error && error.name === 'TypeError', 'a TypeError')
      ok((error as Error).message.includes('noSuchFunction'), 'the message names the function')
      await p.close()
    })

    test.it("passes the task's id, attempt and key to the function", async () => {
      const p = pool()
      const ctx = (await p.run(null, { name: 'context', key: 'tenant-a' })) as { id: number; attempt: number; key: string }
      ok(typeof ctx.id === 'number' && ctx.id > 0, 'id')
      equal(ctx.attempt, 1, 'attempt')
      equal(ctx.key, 'tenant-a', 'key')
      await p.close()
    })

    test.it('runs many tasks without exceeding the concurrency limit', async () => {
      const p = pool({ concurrency: 2 })
      let peak = 0
      const tasks = Array.from({ length: 40 }, (_, i) => {
        const r = p.run(i, { name: 'echoAsync' })
        peak = Math.max(peak, p.stats().running)
        return r
      })
      equal(
        await Promise.all(tasks),
        Array.from({ length: 40 }, (_, i) => i),
        'outputs in order',
      )
      const { concurrency, capacity } = p.stats()
      ok(peak <= capacity, 'running (handed to workers) never exceeds stats().capacity')
      ok(concurrency >= 2 && concurrency <= capacity, 'stats().concurrency counts what runs at once: at least a task per worker, at most the capacity')
      await p.close()
    })

    test.it('aborts a cooperative task through its signal without replacing the worker', async () => {
      const p = pool({ concurrency: 1 })
      await p.ready()
      const errors: unknown[] = []
      p.on('error', (e) => errors.push(e))
      const controller = new AbortController()
      const running = rejection(p.run(null, { name: 'waitForAbort', signal: controller.signal }))
      controller.abort(new Error('stop'))
      const error = await running
      ok(error instanceof Error && error.message === 'stop', 'rejects with the abort reason')
      equal(await p.run('after', { name: 'echo' }), 'after', 'the pool keeps serving')
      ok(!errors.some((e) => e instanceof WorkerExitError), 'no worker exited')
      await p.close()
    })

    test.it(terminates ? 'stops a non-cooperative task on abort by replacing its worker' : 'settles an aborted non-cooperative task at once', async () => {
      const p = pool({ concurrency: 1 })
      await p.ready()
      const controller = new AbortController()
      const running = rejection(p.run(null, { name: 'hang', signal: controller.signal }))
      controller.abort(new Error('enough'))
      const error = await running
      ok(error instanceof Error && error.message === 'enough', 'rejects with the abort reason')
      if (terminates) {
        equal(await p.run('next', { name: 'echo' }), 'next', 'a replacement worker runs the next task')
      }
      await p.destroy()
    })

    test.it('times out a running task with TaskTimeoutError on the pool clock', async () => {
      const clock = createVirtualClock()
      const p = pool({ concurrency: 1, taskTimeout: 1000, clock })
      await p.ready()
      const running = rejection(p.run(null, { name: 'hang' }))
      await clock.advance(1000)
      const error = await running
      ok(error instanceof TaskTimeoutError, 'rejects with TaskTimeoutError')
      if (terminates) equal(await p.run('next', { name: 'echo' }), 'next', 'a replacement worker runs the next task')
      await p.destroy()
    })

    if (options.crashFunction !== undefined) {
      const crash = options.crashFunction
      test.it('fails the running task with WorkerExitError when its worker crashes, and replaces the worker', async () => {
        const p = pool({ concurrency: 1 })
        await p.ready()
        const errors: unknown[] = []
        p.on('error', (e) => errors.push(e))
        const error = await rejection(p.run(null, { name: crash }))
        ok(error instanceof WorkerExitError, 'rejects with WorkerExitError')
        ok(isPoolError(error), 'a PoolError')
        equal(await p.run('after', { name: 'echo' }), 'after', 'the replacement runs the next task')
        ok(
          errors.some((e) => e instanceof WorkerExitError),
          "the pool's error event reported the exit",
        )
        await p.close()
      })
    }

    test.it('closes cleanly: the report counts settled tasks and no worker is left', async () => {
      const p = pool({ concurrency: 2 })
      const outputs = Promise.all([1, 2, 3].map((i) => p.run(i, { name: 'echoAsync' })))
      const report = await p.close()
      equal(await outputs, [1, 2, 3], 'queued tasks finish before close resolves')
      equal(report.unstarted.length + report.aborted.length, 0, 'nothing unstarted or aborted')
      equal(p.stats().workers.total, 0, 'workers left')
      equal(p.state, 'closed', 'state')
    })
  })
}
