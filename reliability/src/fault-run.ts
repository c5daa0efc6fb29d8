// One fault-injection run in a plain Node process (built packages, real workers):
//
//   node dist/fault-run.js <faults|breaker|close|destroy> [--kind threads|processes]
//        [--tasks N] [--workers W] [--seed S] [--timeout MS]
//
// --timeout is the timeout of the hanging tasks (default 100 ms); every other
// task has the pool's taskTimeout of 60 s.
//
// It submits every task at once, each carrying the fault the seeded plan gives it,
// waits for every one to settle, and prints one JSON report (RunReport) of what was
// injected and what came back: outcomes per fault, how often each task settled,
// the pool's counters and the metrics' counts, the live workers at the end, and
// the process's active handles before the pool and after close(). It never calls
// process.exit on success: the test also checks that it ends on its own.
import { createCircuitBreaker } from '@poolkit/breaker'
import { CircuitOpenError, createPool, isPoolError, PoolClosedError, TaskTimeoutError, WorkerExitError } from '@poolkit/core'
import type { CloseReport, Pool, PoolCounters, PoolObserver } from '@poolkit/core'
import { createMetrics } from '@poolkit/metrics'
import type { TaskCounts } from '@poolkit/metrics'
import { processes, threads } from '@poolkit/node-adapter'
import { seededRandom } from '@poolkit/core/testing'
import { countKinds, planFaults } from './plan.js'
import type { FaultKind } from './plan.js'
import { settledHandles } from './handles.js'

export type Scenario = 'faults' | 'breaker' | 'close' | 'destroy'

/** What one run prints. */
export interface RunReport {
  readonly scenario: Scenario
  readonly kind: 'threads' | 'processes'
  readonly tasks: number
  readonly workers: number
  readonly seed: number
  readonly durationMs: number
  /** Tasks carrying each fault. */
  readonly injected: Record<FaultKind, number>
  /** How tasks settled, by label (`completed`, `failed:exit`, `failed:E_INJECTED`, `timedOut`, `cancelled`, `rejected:circuit-open`, `rejected:closed`). */
  readonly outcomes: Record<string, number>
  /** Tasks whose outcome is not the one their fault calls for (the first 20), and how many in all. */
  readonly mismatches: readonly { i: number; injected: FaultKind; key?: string; got: string }[]
  readonly mismatchCount: number
  /** How many times the pool reported each task settled (onSettled + onRejected), as a histogram: `{ "1": 50000 }` is exactly once each. */
  readonly settleReports: Record<string, number>
  /** Distinct task ids the pool reported. */
  readonly reportedIds: number
  readonly counters: PoolCounters
  readonly metrics: TaskCounts
  /** `submitted - (completed + failed + cancelled + timedOut + rejected)`, in the counters and in the metrics (both must be 0). */
  readonly unaccounted: { readonly counters: number; readonly metrics: number }
  /** Live and starting workers once everything settled, and the configured count. */
  readonly workersAtEnd: { readonly total: number; readonly starting: number; readonly configured: number }
  readonly workerStarts: number
  readonly workerCrashes: number
  /**
   * Retries of tasks whose fault is not retryable (`ok`, `hang`, `abort`,
   * `throw`): a task that finished in a worker that then died, whose result was
   * lost with it, is failed (and retried) as if it had been running.
   */
  readonly unexpectedRetries: readonly { readonly i: number; readonly injected: FaultKind; readonly error: string }[]
  /** close() or destroy() in the middle of the load (close and destroy scenarios). */
  readonly close?: {
    /** Tasks the pool had settled when close() or destroy() was called. */
    readonly settledBefore: number
    readonly report: { readonly settled: number; readonly unstarted: number; readonly aborted: number; readonly timedOut: boolean }
    /** Tasks rejected with PoolClosedError. */
    readonly closedErrors: number
    /** Ids listed twice in the report (must be 0). */
    readonly duplicateIds: number
  }
  readonly handlesBefore: readonly string[]
  readonly handlesAfter: readonly string[]
}

interface Args {
  scenario: Scenario
  kind: 'threads' | 'processes'
  tasks: number
  workers: number
  seed: number
  timeoutMs: number
}

function parseArgs(argv: readonly string[]): Args {
  const scenario = argv[0] as Scenario
  if (!['faults', 'breaker', 'close', 'destroy'].includes(scenario))
    throw new Error(`usage: fault-run.js <faults|breaker|close|destroy> [--kind threads|processes] [--tasks N] [--workers W] [--seed S] [--timeout MS]`)
  const flag = (name: string, fallback: string): string => {
    const at = argv.indexOf(`--${name}`)
    return at < 0 ? fallback : argv[at + 1]!
  }
  const kind = flag('kind', 'threads')
  if (kind !== 'threads' && kind !== 'processes') throw new Error(`--kind must be threads or processes, got ${kind}`)
  return { scenario, kind, tasks: Number(flag('tasks', '50000')), workers: Number(flag('workers', '4')), seed: Number(flag('seed', '1')), timeoutMs: Number(flag('timeout', '100')) }
}

/** How long the tasks may take to settle before the run gives up on them. */
const DEADLINE_MS = 200_000

const worker = new URL('../fixtures/faults.worker.mjs', import.meta.url)

/** An abort reason that names its task, so the test can tell it is the caller's own. */
class InjectedAbort extends Error {
  override name = 'InjectedAbort'
  constructor(readonly i: number) {
    super(`task ${i} aborted by the caller`)
  }
}

/** The label of how a task settled. */
function labelOf(i: number, result: PromiseSettledResult<unknown>): string {
  if (result.status === 'fulfilled') return result.value === i ? 'completed' : `completed with ${JSON.stringify(result.value)}`
  const error = result.reason as { code?: unknown; name?: string; message?: string }
  if (error instanceof InjectedAbort) return error.i === i ? 'cancelled' : `cancelled with task ${error.i}'s reason`
  if (error instanceof WorkerExitError) return 'failed:exit'
  if (error instanceof TaskTimeoutError) return 'timedOut'
  if (error instanceof CircuitOpenError) return 'rejected:circuit-open'
  if (error instanceof PoolClosedError) return 'rejected:closed'
  if (!isPoolError(error) && error?.code === 'E_INJECTED' && error.name === 'InjectedError' && error.message === `task ${i}: injected failure`) return 'failed:E_INJECTED'
  return `unexpected ${error?.name}: ${error?.message}`
}

const EXPECTED_LABEL: Record<FaultKind, string> = {
  ok: 'completed',
  kill: 'completed',
  'kill-always': 'failed:exit',
  hang: 'timedOut',
  abort: 'cancelled',
  transient: 'completed',
  throw: 'failed:E_INJECTED',
}

/** The failing key of the breaker scenario: every task of it throws. */
const FAILING_KEY = 'k0'
const KEYS = 8

export async function run(args: Args): Promise<RunReport> {
  const { scenario, kind, tasks, workers, seed, timeoutMs } = args
  const plan = planFaults(tasks, seed)
  const keyOf = (i: number): string | undefined => (scenario === 'breaker' ? `k${i % KEYS}` : undefined)
  if (scenario === 'breaker') for (let i = 0; i < tasks; i++) if (keyOf(i) === FAILING_KEY) plan[i] = 'throw'
  const random = seededRandom(seed ^ 0x5eed)
  // Half the aborted tasks abort as soon as they start on a worker, half after 0-5 ms (most still queued then).
  const abortOnStart = plan.map((k) => k === 'abort' && random() < 0.5)

  const handlesBefore = await settledHandles([])
  const started = performance.now()
  const controllers: (AbortController | undefined)[] = plan.map((k) => (k === 'abort' ? new AbortController() : undefined))
  const idToIndex = new Map<number, number>()
  const settleCount = new Map<number, number>()
  const unexpectedRetries: { i: number; injected: FaultKind; error: string }[] = []
  let submitting = -1
  const counted = (id: number): void => void settleCount.set(id, (settleCount.get(id) ?? 0) + 1)
  const watcher: PoolObserver = {
    onSubmitted: (_pool, task) => void idToIndex.set(task.id, submitting),
    onStarted: (_pool, task) => {
      const i = idToIndex.get(task.id)
      if (i !== undefined && abortOnStart[i] && task.attempt === 1) queueMicrotask(() => controllers[i]!.abort(new InjectedAbort(i)))
    },
    onRetried: (_pool, task, error) => {
      const i = idToIndex.get(task.id)
      const kind = i === undefined ? undefined : plan[i]
      // Retries the plan does not call for: a task retried although its fault is not retryable.
      if (i !== undefined && kind !== 'kill' && kind !== 'kill-always' && kind !== 'transient') {
        unexpectedRetries.push({ i, injected: kind!, error: `${(error as Error)?.name}: ${(error as Error)?.message}` })
      }
    },
    onSettled: (_pool, task) => counted(task.id),
    onRejected: (_pool, task) => counted(task.id),
  }
  const metrics = createMetrics()
  const breaker =
    scenario === 'breaker'
      ? createCircuitBreaker({
          keyed: true,
          failureRateThreshold: 0.5,
          minimumCalls: 20,
          window: { type: 'count', size: 50 },
          openMs: 50,
          isFailure: (e) => (e as { code?: unknown })?.code === 'E_INJECTED',
        })
      : undefined
  const executor = kind === 'threads' ? threads<{ i: number; kind: FaultKind }, number>(worker) : processes<{ i: number; kind: FaultKind }, number>(worker)
  const pool: Pool<{ i: number; kind: FaultKind }, number> = createPool({
    name: `faults-${kind}`,
    executor,
    concurrency: workers,
    taskTimeout: 60_000,
    retry: {
      attempts: 2,
      retryIf: (error) => error instanceof WorkerExitError || (error as { code?: unknown })?.code === 'E_TRANSIENT',
      backoff: { initialMs: 1, maxMs: 10 },
    },
    observers: [metrics, watcher],
    ...(breaker === undefined ? {} : { breaker }),
  })
  await pool.ready()

  const promises: Promise<number>[] = []
  for (let i = 0; i < tasks; i++) {
    submitting = i
    const signal = controllers[i]?.signal
    const key = keyOf(i)
    // Hanging tasks carry a short timeout of their own; the others have the pool's long one, which
    // only a stall of the whole machine could reach (a short one for all would also time out tasks
    // whose results wait behind the main thread's own submit loop on a busy machine).
    const timeout = plan[i] === 'hang' ? timeoutMs : undefined
    promises.push(pool.run({ i, kind: plan[i]! }, { name: 'fault', ...(signal ? { signal } : {}), ...(key ? { key } : {}), ...(timeout ? { timeout } : {}) }))
    if (controllers[i] !== undefined && !abortOnStart[i]) {
      const c = controllers[i]!
      setTimeout(() => c.abort(new InjectedAbort(i)), Math.floor(random() * 6))
    }
  }
  submitting = -1

  // close and destroy: once a fifth of the tasks settled, close in the middle of the load.
  let settledCount = 0
  let closing: Promise<CloseReport> | undefined
  let settledBefore = 0
  const done: boolean[] = []
  const tracked = promises.map((p, i) =>
    p
      .then(
        (value) => ({ status: 'fulfilled', value }) as const,
        (reason: unknown) => ({ status: 'rejected', reason }) as const,
      )
      .finally(() => {
        settledCount++
        done[i] = true
        if ((scenario === 'close' || scenario === 'destroy') && closing === undefined && settledCount >= tasks / 5) {
          // The pool's own count: some tasks have settled whose callbacks here have not run yet.
          const c = pool.stats().counters
          settledBefore = c.completed + c.failed + c.cancelled + c.timedOut + c.rejected
          closing = scenario === 'close' ? pool.close({ timeout: 50 }) : pool.destroy()
        }
      }),
  )
  // A task that never settles would leave the run waiting: past the deadline, name the
  // first ones and exit 2 (unref'd: it never keeps a finished run alive).
  const deadline = setTimeout(() => {
    const stuck = plan.flatMap((kind, i) => (done[i] ? [] : [`${i} (${kind})`]))
    console.error(`fault-run: ${stuck.length} task(s) not settled within ${DEADLINE_MS / 1000} s: ${stuck.slice(0, 20).join(', ')}`)
    process.exit(2)
  }, DEADLINE_MS)
  deadline.unref()
  const results: PromiseSettledResult<number>[] = await Promise.all(tracked)
  clearTimeout(deadline)
  const durationMs = performance.now() - started

  const outcomes: Record<string, number> = {}
  const mismatches: RunReport['mismatches'][number][] = []
  let mismatchCount = 0
  results.forEach((result, i) => {
    const got = labelOf(i, result)
    outcomes[got] = (outcomes[got] ?? 0) + 1
    const key = keyOf(i)
    let ok = got === EXPECTED_LABEL[plan[i]!]
    // A failing key's task may also be refused while its circuit is open.
    if (key === FAILING_KEY && got === 'rejected:circuit-open') ok = true
    // Closing the pool rejects the tasks it did not let finish.
    if (closing !== undefined && got === 'rejected:closed') ok = true
    if (!ok) {
      mismatchCount++
      if (mismatches.length < 20) mismatches.push({ i, injected: plan[i]!, ...(key ? { key } : {}), got })
    }
  })

  // Replacements may still be starting when the last task settles: wait for the pool to be whole again.
  if (closing === undefined) {
    for (let waited = 0; waited < 10_000; waited += 10) {
      const w = pool.stats().workers
      if (w.total === workers && w.starting === 0) break
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }
  const w = pool.stats().workers
  const counters = pool.stats().counters
  const snapshot = metrics.snapshot().pools[0]!
  const m = snapshot.tasks
  const workerStarts = snapshot.workers.started
  const workerCrashes = snapshot.workers.crashed

  let close: RunReport['close']
  if (closing !== undefined) {
    const report = await closing
    const ids = [...report.unstarted, ...report.aborted].map((t) => t.id)
    close = {
      settledBefore,
      report: { settled: report.settled, unstarted: report.unstarted.length, aborted: report.aborted.length, timedOut: report.timedOut },
      closedErrors: outcomes['rejected:closed'] ?? 0,
      duplicateIds: ids.length - new Set(ids).size,
    }
  } else {
    await pool.close()
  }
  const handlesAfter = await settledHandles(handlesBefore)

  const settleReports: Record<string, number> = {}
  for (const n of settleCount.values()) settleReports[n] = (settleReports[n] ?? 0) + 1
  const unaccounted = (c: { submitted: number; completed: number; failed: number; cancelled: number; timedOut: number; rejected: number }): number =>
    c.submitted - (c.completed + c.failed + c.cancelled + c.timedOut + c.rejected)
  return {
    scenario,
    kind,
    tasks,
    workers,
    seed,
    durationMs: Math.round(durationMs),
    injected: countKinds(plan),
    outcomes,
    mismatches,
    mismatchCount,
    settleReports,
    reportedIds: settleCount.size,
    counters,
    metrics: m,
    unaccounted: { counters: unaccounted(counters), metrics: unaccounted(m) },
    workersAtEnd: { total: w.total, starting: w.starting, configured: workers },
    workerStarts,
    workerCrashes,
    unexpectedRetries,
    ...(close ? { close } : {}),
    handlesBefore,
    handlesAfter,
  }
}

// Run when executed, not when imported.
if (import.meta.url === `file://${process.argv[1]}`) {
  const args = parseArgs(process.argv.slice(2))
  run(args).then(
    (report) => console.log(JSON.stringify(report)),
    (error: unknown) => {
      console.error(error)
      process.exitCode = 1
    },
  )
}
