import type { Executor, SpawnContext, WorkerHandle } from '../contracts/executor.js'
import type { WorkerInfo } from '../contracts/observer.js'
import type { WorkerSelector } from '../contracts/selector.js'
import type { TaskInfo } from '../contracts/task.js'
import { WorkerExitError } from '../errors.js'
import { inProcess } from '../in-process-executor.js'
import { createPool } from '../pool.js'
import type { Pool } from '../pool.js'
import type { VirtualClock } from '../virtual-clock.js'
import { createVirtualClock } from '../virtual-clock.js'
import type { TestApi } from './test-api.js'
import { equal, ok, seededRandom } from './test-api.js'

/**
 * Options of {@link runSelectorConformance}.
 * @public
 */
export interface SelectorConformanceOptions {
  /** Tasks submitted in each check. @defaultValue 200 */
  tasks?: number
  /** Seed of the tasks' run times and keys, so a failing run can be replayed. @defaultValue 1 */
  seed?: number
}

/** One task of a check: how long it runs on the virtual clock, and its key (some have none). */
interface Job {
  readonly ms: number
  readonly key: string | undefined
}

/** What the suite records of a selector at work in one pool. */
interface Watch {
  /** Wraps the selector: checks each call's candidates and answer against the workers the executor says are alive. */
  readonly selector: WorkerSelector
  /** Failures found so far (a bad candidate, a bad answer, a throw). */
  readonly problems: string[]
  /** Tasks placed by select(). */
  placed: number
}

const NOT_A_CANDIDATE = 'must return one of the candidates'

/**
 * Wraps `inner` so every call is checked: candidates are live workers with room
 * (`alive` says which the executor runs), and the answer is one of them or
 * undefined. Hooks are forwarded as the inner selector has them, so the pool
 * sees the same hooks.
 */
function watch(inner: WorkerSelector, alive: (id: number) => boolean): Watch {
  const problems: string[] = []
  const w: Watch = {
    problems,
    placed: 0,
    selector: {
      select(candidates: readonly WorkerInfo[], task: TaskInfo): WorkerInfo | undefined {
        if (candidates.length === 0) problems.push(`task ${task.id}: select() was called with no candidate`)
        for (const c of candidates) {
          if (c.running >= c.capacity) problems.push(`task ${task.id}: worker ${c.id} was a candidate while full (${c.running}/${c.capacity})`)
          if (!alive(c.id)) problems.push(`task ${task.id}: worker ${c.id} was a candidate after it exited`)
        }
        let chosen: WorkerInfo | undefined
        try {
          chosen = inner.select(candidates, task)
        } catch (error) {
          problems.push(`task ${task.id}: select() threw ${String(error)}`)
          throw error
        }
        if (chosen !== undefined) {
          if (!candidates.includes(chosen)) problems.push(`task ${task.id}: select() returned ${JSON.stringify(chosen)}, not one of the candidates`)
          else w.placed++
        }
        return chosen
      },
    },
  }
  const hooks = w.selector as { -readonly [K in keyof WorkerSelector]: WorkerSelector[K] }
  const guard =
    <A extends unknown[]>(hook: string, fn: (...args: A) => void) =>
    (...args: A): void => {
      try {
        fn(...args)
      } catch (error) {
        problems.push(`${hook}() threw ${String(error)}`)
        throw error
      }
    }
  if (inner.onWorkerStarted !== undefined) hooks.onWorkerStarted = guard('onWorkerStarted', (worker: WorkerInfo) => inner.onWorkerStarted!(worker))
  if (inner.onWorkerExited !== undefined) hooks.onWorkerExited = guard('onWorkerExited', (worker: WorkerInfo) => inner.onWorkerExited!(worker))
  if (inner.onFinished !== undefined) {
    hooks.onFinished = guard('onFinished', (task: TaskInfo, worker: WorkerInfo, runMs: number, succeeded: boolean) => inner.onFinished!(task, worker, runMs, succeeded))
  }
  return w
}

/** Records the pool's 'error' events that point at the selector (a non-candidate answer, a throw). */
function errorsOf(pool: Pool<Job, number>): string[] {
  const errors: string[] = []
  pool.on('error', (error) => {
    // Worker crashes are reported here too (WorkerExitError): they are the test's own doing.
    if (error instanceof WorkerExitError) return
    errors.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error))
  })
  return errors
}

/** Tasks with seeded run times (1 to 20 ms) and keys (8 keys, one task in 5 without). */
function jobs(count: number, seed: number): Job[] {
  const random = seededRandom(seed)
  return Array.from({ length: count }, () => {
    const ms = 1 + Math.floor(random() * 20)
    const k = Math.floor(random() * 10)
    return { ms, key: k < 8 ? `key-${k}` : undefined }
  })
}

/**
 * A test executor on the virtual clock: each task sleeps its `ms`, then returns
 * it. It knows which of its workers are alive, counts what each runs at once,
 * and can crash a worker (its tasks reject with `WorkerExitError`, then it
 * exits) or recycle one (it exits after its last task, a routine exit).
 */
function clockExecutor(clock: VirtualClock, tasksPerWorker: number) {
  interface Worker {
    readonly context: SpawnContext
    readonly running: Set<{ reject(error: unknown): void }>
    alive: boolean
    recycle: boolean
  }
  const workers = new Map<number, Worker>()
  let peakPerWorker = 0
  let inFlight = 0
  let peak = 0
  const leave = (w: Worker): void => {
    w.alive = false
    workers.delete(w.context.workerId)
  }
  const executor: Executor<Job, number> = {
    kind: 'conformance-clock',
    tasksPerWorker,
    spawn(context) {
      const w: Worker = { context, running: new Set(), alive: true, recycle: false }
      workers.set(context.workerId, w)
      const handle: WorkerHandle<Job, number> = {
        id: context.workerId,
        run(job: Job): Promise<number> {
          return new Promise<number>((resolve, reject) => {
            if (!w.alive) {
              reject(new WorkerExitError({ workerId: context.workerId, taskStarted: false }))
              return
            }
            const entry = { reject }
            w.running.add(entry)
            peakPerWorker = Math.max(peakPerWorker, w.running.size)
            peak = Math.max(peak, ++inFlight)
            clock.setTimeout(() => {
              if (!w.running.delete(entry)) return
              inFlight--
              resolve(job.ms)
              if (w.recycle && w.alive && w.running.size === 0) {
                leave(w)
                context.onExit({ reason: 'recycled' })
              }
            }, job.ms)
          })
        },
        terminate() {
          if (w.alive) leave(w)
          return Promise.resolve()
        },
      }
      return handle
    },
  }
  return {
    executor,
    alive: (id: number): boolean => workers.get(id)?.alive === true,
    get peakPerWorker() {
      return peakPerWorker
    },
    get peak() {
      return peak
    },
    /** Crashes the live worker with the lowest id: its running tasks fail with WorkerExitError. */
    crashOne(): void {
      const w = [...workers.values()].sort((a, b) => a.context.workerId - b.context.workerId)[0]
      if (w === undefined) return
      leave(w)
      for (const entry of w.running) {
        inFlight--
        entry.reject(new WorkerExitError({ workerId: w.context.workerId, exitCode: 1 }))
      }
      w.running.clear()
      w.context.onExit({ exitCode: 1 })
    },
    /** Marks the live worker with the highest id to leave after its current tasks (at once if it has none). */
    recycleOne(): void {
      const w = [...workers.values()].sort((a, b) => b.context.workerId - a.context.workerId)[0]
      if (w === undefined) return
      w.recycle = true
      if (w.running.size === 0) {
        leave(w)
        w.context.onExit({ reason: 'recycled' })
      }
    },
  }
}

/** Runs the virtual clock until every promise settled (or nothing is left to fire). */
async function settleAll(clock: VirtualClock, results: Promise<unknown>[]): Promise<PromiseSettledResult<unknown>[]> {
  let done = false
  const all = Promise.allSettled(results).then((r) => {
    done = true
    return r
  })
  for (let fired = 0; !done && fired < 100_000; fired++) {
    if (!(await clock.next())) await clock.flush()
    if (!done && clock.pending === 0) {
      await clock.flush()
      break
    }
  }
  await clock.flush()
  ok(done, 'every task settles: some tasks were never placed (the clock ran out of timers with tasks still queued)')
  return all
}

/**
 * The shared checks every `WorkerSelector` passes in a real pool on the virtual
 * clock: it only returns a worker among the candidates (the pool never reports
 * `options.selector.select() must return one of the candidates`), full and
 * exited workers are never candidates, every submitted task is placed and
 * settles, the concurrency limit holds, and all this stays true while workers
 * crash and are replaced, are recycled, and while the pool is resized up and
 * down. Tasks carry keys (some none) and uneven run times. `factory` returns a
 * fresh selector for each pool. Call it inside a test file.
 * @example
 * ```ts
 * import { describe, it } from 'vitest'
 * import { runSelectorConformance } from '@poolkit/core/testing'
 * import { roundRobin } from '@poolkit/routing'
 * runSelectorConformance('roundRobin', () => roundRobin(), { describe, it })
 * ```
 * @public
 */
export function runSelectorConformance(name: string, factory: () => WorkerSelector, test: TestApi, options: SelectorConformanceOptions = {}): void {
  const count = options.tasks ?? 200
  const seed = options.seed ?? 1

  const noProblems = (w: Watch, errors: readonly string[]): void => {
    equal(w.problems, [], 'what the selector was given and returned')
    ok(!errors.some((e) => e.includes(NOT_A_CANDIDATE)), `the pool never reports "select() ${NOT_A_CANDIDATE}": ${errors.join('; ')}`)
    equal(errors, [], "the pool's 'error' events")
  }

  test.describe(`WorkerSelector conformance: ${name}`, () => {
    test.it('places every task on an in-process pool, within the concurrency limit, and every task completes', async () => {
      const clock = createVirtualClock()
      let inFlight = 0
      let peak = 0
      const handler = async (job: Job): Promise<number> => {
        peak = Math.max(peak, ++inFlight)
        await new Promise<void>((resolve) => clock.setTimeout(resolve, job.ms))
        inFlight--
        return job.ms
      }
      const w = watch(factory(), () => true)
      const pool = createPool<Job, number>({ executor: inProcess(handler), concurrency: 4, clock, selector: w.selector })
      const errors = errorsOf(pool)
      const list = jobs(count, seed)
      const results = await settleAll(
        clock,
        list.map((job) => pool.run(job, { key: job.key })),
      )
      equal(
        results.map((r) => (r.status === 'fulfilled' ? r.value : 'rejected')),
        list.map((j) => j.ms),
        'each task resolves with its own output',
      )
      ok(peak <= 4, `at most 4 tasks run at once, saw ${peak}`)
      equal(w.placed, count, 'tasks placed by select()')
      equal(pool.stats().counters.completed, count, 'completed')
      noProblems(w, errors)
      await pool.close()
    })

    test.it('never offers or takes a full worker when workers hold several tasks each', async () => {
      const clock = createVirtualClock()
      const ex = clockExecutor(clock, 3)
      const w = watch(factory(), ex.alive)
      const pool = createPool<Job, number>({ executor: ex.executor, concurrency: 3, clock, selector: w.selector })
      const errors = errorsOf(pool)
      const list = jobs(count, seed + 1)
      const results = await settleAll(
        clock,
        list.map((job) => pool.run(job, { key: job.key })),
      )
      ok(
        results.every((r) => r.status === 'fulfilled'),
        'every task completes',
      )
      ok(ex.peakPerWorker <= 3, `a worker runs at most its capacity (3), saw ${ex.peakPerWorker}`)
      ok(ex.peak <= 9, `at most 9 tasks run at once, saw ${ex.peak}`)
      equal(w.placed, count, 'tasks placed by select()')
      noProblems(w, errors)
      await pool.close()
    })

    test.it('stays correct while workers crash and are replaced, and are recycled', async () => {
      const clock = createVirtualClock()
      const ex = clockExecutor(clock, 2)
      const w = watch(factory(), ex.alive)
      const pool = createPool<Job, number>({ executor: ex.executor, concurrency: 3, clock, selector: w.selector })
      const errors = errorsOf(pool)
      // A crash every 37 ms, a recycle every 53 ms, while the tasks run.
      for (let t = 37; t < count * 4; t += 37) clock.setTimeout(() => ex.crashOne(), t)
      for (let t = 53; t < count * 4; t += 53) clock.setTimeout(() => ex.recycleOne(), t)
      const list = jobs(count, seed + 2)
      const results = await settleAll(
        clock,
        list.map((job) => pool.run(job, { key: job.key })),
      )
      const failed = results.filter((r) => r.status === 'rejected')
      ok(
        failed.every((r) => r.reason instanceof WorkerExitError),
        'a task fails only with the crash of its worker',
      )
      ok(results.length - failed.length > count / 2, `most tasks complete (${results.length - failed.length} of ${count})`)
      ok(ex.peakPerWorker <= 2, `a worker runs at most its capacity (2), saw ${ex.peakPerWorker}`)
      equal(pool.stats().workers.total, 3, 'workers after the replacements')
      noProblems(w, errors)
      await pool.close()
    })

    test.it('stays correct while the pool is resized up and down under load', async () => {
      const clock = createVirtualClock()
      const ex = clockExecutor(clock, 1)
      const w = watch(factory(), ex.alive)
      const pool = createPool<Job, number>({ executor: ex.executor, concurrency: 4, clock, selector: w.selector })
      const errors = errorsOf(pool)
      const sizes = [1, 6, 2, 8, 3, 1, 5]
      sizes.forEach((size, i) => clock.setTimeout(() => pool.resize(size), 15 * (i + 1)))
      const list = jobs(count, seed + 3)
      const results = await settleAll(
        clock,
        list.map((job) => pool.run(job, { key: job.key })),
      )
      ok(
        results.every((r) => r.status === 'fulfilled'),
        'every task completes',
      )
      ok(ex.peak <= 8, `at most the largest size (8) of tasks run at once, saw ${ex.peak}`)
      equal(pool.stats().workers.total, sizes[sizes.length - 1], 'workers after the last resize')
      equal(w.placed, count, 'tasks placed by select()')
      noProblems(w, errors)
      await pool.close()
    })

    test.it('keeps working for a second pool with a fresh selector, and after a pool closes', async () => {
      const clock = createVirtualClock()
      for (let round = 0; round < 2; round++) {
        const ex = clockExecutor(clock, 1)
        const w = watch(factory(), ex.alive)
        const pool = createPool<Job, number>({ executor: ex.executor, concurrency: 2, clock, selector: w.selector })
        const errors = errorsOf(pool)
        const list = jobs(20, seed + 4 + round)
        const results = await settleAll(
          clock,
          list.map((job) => pool.run(job, { key: job.key })),
        )
        ok(
          results.every((r) => r.status === 'fulfilled'),
          'every task completes',
        )
        await pool.close()
        noProblems(w, errors)
      }
    })
  })
}
