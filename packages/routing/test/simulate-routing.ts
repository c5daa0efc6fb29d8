// A deterministic simulation of a pool of workers of unequal speed on the
// virtual clock, to compare selectors by task latency (submission to
// settlement). Open-loop arrivals (Poisson) and per-task service times
// (exponential) are drawn from seeded streams before the run, so every
// selector gets the same tasks at the same times. Run by
// test/predictive-simulation.test.ts, which prints the table in the README.
import { createPool, createVirtualClock } from '@poolkit/core'
import type { Executor, VirtualClock, WorkerHandle, WorkerSelector } from '@poolkit/core'
import { seededRandom } from '@poolkit/core/testing'

/** What {@link simulateRouting} runs. */
export interface RoutingSimulation {
  /** The selector under test; `undefined` for the pool's own rule. */
  readonly selector: WorkerSelector | undefined
  /** Each worker's slowness, by worker id order (1 = base speed, 5 = five times slower). */
  readonly slowness: readonly number[]
  /** Tasks a worker holds at once: it runs one and keeps the rest waiting in order (1: in-process; more: threads' prefetch). */
  readonly tasksPerWorker: number
  /** Arrival rate as a share of the pool's capacity (the sum of the workers' service rates). */
  readonly load: number
  /** Mean service time of a task at base speed (ms). */
  readonly meanMs: number
  /** Tasks submitted. */
  readonly tasks: number
  /** Seed of the arrival and service streams. */
  readonly seed: number
}

/** What one run measured: latency percentiles (ms) and the share of tasks each worker ran. */
export interface RoutingReport {
  readonly p50: number
  readonly p99: number
  readonly mean: number
  readonly max: number
  /** Tasks each worker ran, by worker id. */
  readonly ran: readonly number[]
}

const sleep = (clock: VirtualClock, ms: number): Promise<void> => new Promise((resolve) => clock.setTimeout(resolve, ms))

/** Workers that run one task at a time, `slowness[id - 1]` times slower than the task's input (ms) (workers past the list: 1), holding up to `tasksPerWorker`; `ran` counts the tasks each ran, by id - 1. */
export function unequalWorkers(clock: VirtualClock, slowness: readonly number[], tasksPerWorker: number, ran: number[]): Executor<number, number> {
  return {
    kind: 'unequal-workers',
    tasksPerWorker,
    runsPerWorker: 1,
    spawn({ workerId }) {
      const factor = slowness[workerId - 1] ?? 1
      let tail: Promise<void> = Promise.resolve()
      const handle: WorkerHandle<number, number> = {
        id: workerId,
        run: (ms: number) => {
          // One at a time, in the order handed over: a task sent ahead waits for the one before it.
          const done = tail.then(() => sleep(clock, ms * factor))
          tail = done
          return done.then(() => {
            ran[workerId - 1] = (ran[workerId - 1] ?? 0) + 1
            return ms
          })
        },
        terminate: () => Promise.resolve(),
      }
      return handle
    },
  }
}

/** The value at quantile `q` of ascending `sorted` (nearest rank). */
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

const round = (ms: number): number => Math.round(ms * 10) / 10

/** Runs the simulation to the last task's settlement. Deterministic for its options. */
export async function simulateRouting(options: RoutingSimulation): Promise<RoutingReport> {
  const { slowness, meanMs, tasks } = options
  const capacityPerMs = slowness.reduce((sum, f) => sum + 1 / (meanMs * f), 0)
  const gapMs = 1 / (options.load * capacityPerMs)
  const arrivalRandom = seededRandom(options.seed)
  const serviceRandom = seededRandom(options.seed ^ 0x5bd1e995)
  const clock = createVirtualClock()
  const ran: number[] = slowness.map(() => 0)
  const pool = createPool<number, number>({
    executor: unequalWorkers(clock, slowness, options.tasksPerWorker, ran),
    concurrency: slowness.length,
    clock,
    ...(options.selector === undefined ? {} : { selector: options.selector }),
  })
  const errors: unknown[] = []
  pool.on('error', (error) => errors.push(error))
  await pool.ready()

  const latencies: number[] = []
  const runs: Promise<void>[] = []
  let at = 0
  for (let i = 0; i < tasks; i++) {
    at += -Math.log(1 - arrivalRandom()) * gapMs
    const serviceMs = -Math.log(1 - serviceRandom()) * meanMs
    await clock.advance(at - clock.now())
    const submitted = clock.now()
    runs.push(pool.run(serviceMs).then(() => void latencies.push(clock.now() - submitted)))
  }
  await clock.runAll(10 * tasks)
  await Promise.all(runs)
  await pool.close()
  if (errors.length > 0) throw errors[0]
  const sorted = latencies.sort((a, b) => a - b)
  return {
    p50: round(quantile(sorted, 0.5)),
    p99: round(quantile(sorted, 0.99)),
    mean: round(sorted.reduce((sum, ms) => sum + ms, 0) / sorted.length),
    max: round(sorted[sorted.length - 1]!),
    ran,
  }
}
