import type { Executor, SpawnContext, TaskDone, WorkerExit, WorkerHandle, WorkerRuntimeStats, WorkerTask } from './contracts/executor.js'
import { checkNonNegativeInteger, checkObject, checkObjectWith, checkStringArray, describeValue } from './validate.js'

/**
 * One kind of worker in a pool that {@link combineExecutors} makes: an
 * executor, how many of the pool's workers it runs, and what they can do.
 * @public
 */
export interface ExecutorPart<I = unknown, O = unknown> {
  /** Starts this part's workers: `threads(url, { workerData })`, `processes(...)`, `webWorkers(...)`, an in-process executor. */
  readonly executor: Executor<I, O>
  /**
   * How many of the pool's workers are this part's. The pool's default
   * `concurrency` is the sum over the parts; with another concurrency, each new
   * worker goes to the part furthest below its count (in proportion).
   */
  readonly workers: number
  /**
   * What this part's workers can do, for tasks that require it
   * (`run(x, { requires: ['gpu'] })` with `capabilities()` from
   * `@poolkit/routing`), added to what each worker's own `setup` declares.
   * @defaultValue none
   */
  readonly capabilities?: readonly string[] | undefined
}

/**
 * One pool over several kinds of worker: each part's executor starts its
 * share of the pool's workers, and each worker carries its part's
 * capabilities. Use it for workers that differ (a thread with a GPU and
 * three without, threads with different `workerData`, threads next to child
 * processes) and route tasks among them with a selector such as
 * `capabilities()` from `@poolkit/routing`.
 *
 * A worker of a part holds at most that part's `tasksPerWorker`; the pool's
 * `stats().capacity` and `stats().concurrency` count every worker at the
 * largest part's figures. The parts' own scalers are not used (give the pool
 * a `scaler`); `close()` closes every part.
 *
 * @example
 * ```ts
 * const pool = createPool({
 *   executor: combineExecutors([
 *     { executor: threads(url, { workerData: { device: 0 } }), workers: 1, capabilities: ['gpu'] },
 *     { executor: threads(url), workers: 3 },
 *   ]),
 *   selector: capabilities(),
 * })
 * await pool.run(image, { requires: ['gpu'] }) // only on the first worker
 * ```
 * @param parts - the kinds of worker, at least one
 * @returns an executor whose workers are the parts' workers
 * @public
 */
export function combineExecutors<I, O>(parts: readonly ExecutorPart<I, O>[]): Executor<I, O> {
  const resolved = checkParts(parts)
  const live = resolved.map(() => 0)
  const total = resolved.reduce((sum, part) => sum + part.workers, 0)
  const tasks = resolved.map((part) => part.executor.tasksPerWorker ?? 1)
  const runs = resolved.map((part, i) => part.executor.runsPerWorker ?? tasks[i]!)
  const mostTasks = Math.max(...tasks)
  /** The part a new worker goes to: the one furthest below its share. */
  const nextPart = (): number => {
    let best = -1
    let bestGap = -Infinity
    for (let i = 0; i < resolved.length; i++) {
      const want = resolved[i]!.workers
      if (want === 0) continue
      // Missing workers first, as a fraction of the part's count; ties to the earlier part.
      const gap = (want - live[i]!) / want
      if (gap > bestGap) {
        best = i
        bestGap = gap
      }
    }
    return best
  }
  return {
    kind: `combined(${resolved.map((part) => part.executor.kind).join(', ')})`,
    tasksPerWorker: mostTasks,
    runsPerWorker: Math.max(...runs),
    defaultConcurrency: total,
    spawn(context: SpawnContext): Promise<WorkerHandle<I, O>> {
      const index = nextPart()
      const part = resolved[index]!
      live[index]!++
      let counted = true
      const leave = (): void => {
        if (!counted) return
        counted = false
        live[index]!--
      }
      const limit = tasks[index]!
      const partContext: SpawnContext = {
        workerId: context.workerId,
        clock: context.clock,
        setCapacity: (n) => context.setCapacity(Math.min(n, limit)),
        onExit: (exit: WorkerExit) => {
          leave()
          context.onExit(exit)
        },
      }
      // A part with fewer tasks per worker than the largest starts at its own.
      if (limit < mostTasks) context.setCapacity(limit)
      let spawned: WorkerHandle<I, O> | Promise<WorkerHandle<I, O>>
      try {
        spawned = part.executor.spawn(partContext)
      } catch (error) {
        leave()
        return Promise.reject(error)
      }
      return Promise.resolve(spawned).then(
        (handle) => partHandle(handle, part.capabilities, leave),
        (error: unknown) => {
          leave()
          throw error
        },
      )
    },
    async close(): Promise<void> {
      await Promise.all(resolved.map((part) => part.executor.close?.()))
    },
  }
}

/** A part's worker, with the part's capabilities added to its own, counted out of its part when it terminates. */
function partHandle<I, O>(handle: WorkerHandle<I, O>, capabilities: readonly string[], leave: () => void): WorkerHandle<I, O> {
  const own: readonly string[] = handle.capabilities ?? []
  const all = Object.freeze([...new Set([...capabilities, ...own])])
  const wrapped: WorkerHandle<I, O> = {
    id: handle.id,
    capabilities: all,
    run: (input: I, task: WorkerTask) => handle.run(input, task),
    terminate: () => {
      leave()
      return handle.terminate()
    },
    ...(handle.send === undefined ? {} : { send: (input: I, task: WorkerTask, done: TaskDone) => handle.send!(input, task, done) }),
    ...(handle.stats === undefined ? {} : { stats: (): WorkerRuntimeStats => handle.stats!() }),
  }
  return wrapped
}

interface ResolvedPart<I, O> {
  readonly executor: Executor<I, O>
  readonly workers: number
  readonly capabilities: readonly string[]
}

function checkParts<I, O>(parts: readonly ExecutorPart<I, O>[]): ResolvedPart<I, O>[] {
  if (!Array.isArray(parts) || parts.length === 0) {
    throw new TypeError(`combineExecutors(parts) must be a non-empty array of { executor, workers }, got ${Array.isArray(parts) ? 'an empty array' : describeValue(parts)}`)
  }
  const list: readonly ExecutorPart<I, O>[] = parts
  const resolved = list.map((part, i) => {
    const path = `parts[${i}]`
    checkObject(path, part)
    checkObjectWith(`${path}.executor`, part.executor, ['spawn'])
    const workers = checkNonNegativeInteger(`${path}.workers`, part.workers)
    const capabilities = part.capabilities === undefined ? [] : checkStringArray(`${path}.capabilities`, part.capabilities)
    return { executor: part.executor, workers, capabilities: Object.freeze(capabilities) }
  })
  if (resolved.every((part) => part.workers === 0)) throw new RangeError(`combineExecutors(parts) needs a part with at least one worker, got ${resolved.map((p) => p.workers).join(', ')}`)
  return resolved
}
