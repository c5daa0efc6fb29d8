// Liveness, as DESIGN.md states it: while a promise a user awaits can only
// progress when a timer fires, that timer keeps the process alive; when nothing
// is pending, nothing does; and every wait is bounded. vitest keeps its own
// event loop alive, so each scenario runs as a plain `node` process on the
// built packages (liveness/scenarios/*.mjs, top-level await, no keep-alive) and
// this file checks what it reports: exit code 0, every awaited promise settled
// as expected, and an exit on its own within EXIT_AFTER_CLOSE_MS of the last
// close(). See docs/reliability.md, "Liveness".
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'vitest'
import { anyOf, explain, fulfilled, problems, rejected } from './liveness-check.js'
import type { ErrorExpectation, Expectation, Scenario } from './liveness-check.js'
import { runScenario } from './liveness-run.js'

/** Slack on every "settles within" bound, for a loaded 2-core machine (ms). */
const SLACK = 1_500

const startError = (cause: ErrorExpectation): Expectation => rejected({ name: 'WorkerStartError', code: 'ERR_POOL_WORKER_START', cause })
const closed = (message?: RegExp): Expectation => rejected({ name: 'PoolClosedError', code: 'ERR_POOL_CLOSED', ...(message && { message }) })
const timedOut = (ms: number): Expectation => rejected({ name: 'TaskTimeoutError', code: 'ERR_POOL_TASK_TIMEOUT' }, ms + SLACK)
const acquireTimeout = (ms: number): Expectation => rejected({ name: 'ResourceAcquireTimeoutError', code: 'ERR_RESOURCE_ACQUIRE_TIMEOUT' }, ms + SLACK)

/** The cause each broken worker file must surface through WorkerStartError. */
const startCauses: Record<string, ErrorExpectation> = {
  // ESM's code on processes, the CommonJS loader's on threads: the worker's own error either way.
  missing: { code: /^(ERR_)?MODULE_NOT_FOUND$/, message: /does-not-exist\.worker\.mjs/ },
  'syntax-error': { name: 'SyntaxError' },
  'exit-in-setup': { message: /code 0/ },
  'exit-at-top': { message: /code 0/ },
  // Nothing keeps it alive: the worker ends before it reports ready.
  'no-expose': { message: /code 0 before it reported ready: does its file call expose\(\)/ },
  // Alive and never ready: only `startTimeout: 300` ends the wait.
  'setup-hangs': { message: /300 ?ms|startTimeout|timed? ?out/i },
}

const kinds = ['threads', 'processes'] as const

const workerStart: Scenario[] = kinds.flatMap((kind) =>
  Object.entries(startCauses).map(([fixture, cause]) => ({
    name: `worker start, ${kind}, ${fixture}: ready() and each waiting run() reject with WorkerStartError, close() resolves`,
    file: 'worker-start.mjs',
    args: [kind, fixture],
    expect: { ready: startError(cause), 'run#*': startError(cause), close: fulfilled() },
  })),
)

const startBackoff: Scenario[] = kinds.flatMap((kind): Scenario[] => [
  {
    name: `worker start, ${kind}: close() during the respawn backoff resolves and settles ready() and run()`,
    file: 'start-backoff.mjs',
    args: [kind, 'close'],
    expect: {
      close: fulfilled(),
      ready: rejected({ name: ['WorkerStartError', 'PoolClosedError'] }),
      run: rejected({ name: ['PoolClosedError', 'WorkerStartError'] }),
    },
  },
  {
    name: `worker start, ${kind}: destroy() during the respawn backoff rejects ready() with WorkerStartError`,
    file: 'start-backoff.mjs',
    args: [kind, 'destroy'],
    expect: { destroy: fulfilled(), ready: rejected({ name: 'WorkerStartError', code: 'ERR_POOL_WORKER_START' }), run: rejected({ name: ['PoolClosedError', 'WorkerStartError'] }) },
  },
])

const resource: Scenario[] = [
  {
    name: 'key ring: use() and acquire() waiting out a 300 ms cooldown after a 429 are served when it ends',
    file: 'key-ring-cooldown.mjs',
    expect: {
      'first use (429)': rejected({ message: /429/ }),
      'use after cooldown': fulfilled('served by key-a', 300 + SLACK),
      'acquire after cooldown': fulfilled('key-a', 300 + SLACK),
    },
  },
  {
    name: "key ring: an acquire's own timeoutMs and the ring's acquireTimeoutMs reject with ResourceAcquireTimeoutError while every key cools down",
    file: 'key-ring-timeout.mjs',
    expect: { 'acquire({ timeoutMs: 200 })': acquireTimeout(200), 'acquire() (acquireTimeoutMs 300)': acquireTimeout(300) },
  },
  {
    name: 'resource pool: an acquire waiting on the create backoff is served by the create that succeeds',
    file: 'resource-create-backoff.mjs',
    expect: { 'acquire during create backoff': fulfilled(4, 300 + SLACK), drain: fulfilled() },
    notes: { creates: 4 },
  },
  {
    name: "resource pool: acquireTimeoutMs and an acquire's own timeoutMs reject with ResourceAcquireTimeoutError",
    file: 'resource-acquire-timeout.mjs',
    expect: { 'acquire() (acquireTimeoutMs 200)': acquireTimeout(200), 'acquire({ timeoutMs: 300 })': acquireTimeout(300), drain: fulfilled() },
  },
  {
    name: "resource pool and key ring: waits are served by a release on the user's own timer",
    file: 'resource-release-timer.mjs',
    expect: { 'pool acquire': fulfilled(1), 'key ring use': fulfilled('key-a'), drain: fulfilled() },
  },
]

const scaler: Scenario[] = (['handler', 'threads', 'processes'] as const).map((kind) => ({
  name: `thresholdScaler({ min: 0 }), ${kind}: a task submitted at 0 workers makes the pool grow at once and completes`,
  file: 'scaler-min-zero.mjs',
  args: [kind],
  expect: { run: fulfilled(42, 3_000), close: fulfilled() },
  notes: { workersAtStart: 0 },
}))

const openers = {
  circuit: rejected({ name: 'ProviderError', code: 'E_PROVIDER' }),
  bulkhead: closed(),
  rate: fulfilled('done open'),
} as const

const held: Scenario[] = (['circuit', 'bulkhead', 'rate'] as const).flatMap((kind): Scenario[] => [
  {
    name: `held by a ${kind}: 30 tasks with timeout 200 each reject with TaskTimeoutError within about 200 ms`,
    file: 'held-timeout.mjs',
    args: [kind],
    expect: { opener: openers[kind], 'held#*': timedOut(200), close: fulfilled() },
  },
  {
    name: `held by a ${kind}: a task whose signal aborts rejects with the signal's reason, and close() leaves nothing behind`,
    file: 'held-abort.mjs',
    args: [kind],
    expect: { opener: openers[kind], held: rejected({ name: 'Error', message: 'the caller gave up' }, 100 + SLACK), close: fulfilled() },
  },
])

const heldClose: Scenario[] = [
  {
    name: 'held by a circuit open until reset(): close() with no timeout reports the held tasks as unstarted instead of waiting for ever',
    file: 'held-close.mjs',
    args: ['circuit'],
    expect: { opener: openers.circuit, 'held#*': closed(/before the task started/), close: fulfilled() },
    notes: { unstarted: 5 },
  },
  {
    name: 'held by a bulkhead: close() runs the held tasks that may still run',
    file: 'held-close.mjs',
    args: ['bulkhead'],
    expect: { opener: fulfilled('done slow'), 'held#*': fulfilled(), close: fulfilled() },
    notes: { unstarted: 0 },
  },
  {
    name: 'held by a rate limit: close({ timeout: 500 }) reports the held tasks that cannot start in time as unstarted',
    file: 'held-close.mjs',
    args: ['rate'],
    expect: { opener: openers.rate, 'held#*': closed(/before the task started/), close: fulfilled(undefined, 500 + SLACK) },
    notes: { unstarted: 5 },
  },
]

const tooMany: Scenario[] = [
  {
    name: 'a 429 for ever with retryAfterMs 0: the task rejects with the 429 after 1 + 10 calls (retry.maxBreakerRetries)',
    file: 'breaker-429.mjs',
    args: ['retry-after-ms-0'],
    expect: { run: rejected({ name: 'TooManyRequests', code: 'E_429', message: /429/ }), close: fulfilled() },
    notes: { calls: 11 },
  },
  {
    name: "a 429 for ever with retryAfter 1 s: the task's timeout of 1,500 ms covers the pauses (TaskTimeoutError)",
    file: 'breaker-429.mjs',
    args: ['retry-after-1s'],
    expect: { run: timedOut(1_500), close: fulfilled() },
  },
  {
    name: "the README's composed pool against a server that fails every request: every task settles, close() and the servers' close() resolve",
    file: 'readme-example.mjs',
    expect: {
      'task#*': rejected({ name: ['TypeError', 'TaskTimeoutError'] }),
      'pool.close': fulfilled(),
      'server.close': fulfilled(),
      'provider.close': fulfilled(),
    },
  },
]

const timers: Scenario[] = [
  {
    name: 'circuit breaker: an open circuit half-opens on its timer, a probe succeeds and the held tasks run (pool and execute())',
    file: 'circuit-half-open.mjs',
    expect: {
      'pool opener': rejected({ message: /503/ }),
      'pool held#*': fulfilled(undefined, 200 + SLACK),
      close: fulfilled(),
      'execute opener': rejected({ message: /503/ }),
      'execute held': fulfilled('done', 200 + SLACK),
    },
  },
  {
    name: 'rate limiter: tasks paced by a token bucket complete',
    file: 'rate-pacing.mjs',
    expect: { 'task#*': fulfilled(), close: fulfilled() },
  },
  {
    name: "rate limiter over two tenants: the quiet tenant's task held with the noisy one's starts second, every task completes, and no hold timer is left",
    file: 'rate-pacing-tenants.mjs',
    expect: { 'noisy#*': fulfilled(), quiet: fulfilled('q1'), close: fulfilled() },
    notes: { 'start order': 'noisy quiet noisy noisy' },
  },
  {
    name: 'retry backoff: a task that fails twice completes on its third try, and onIdle() resolves',
    file: 'retry-backoff.mjs',
    expect: { run: fulfilled(3), onIdle: fulfilled(), close: fulfilled() },
    notes: { calls: 3 },
  },
  {
    name: 'deadlines: a queued task and a held task fail on their deadline timers, one queued with less than its minTimeLeftMs left before its deadline; finished tasks leave no deadline timer behind',
    file: 'deadline.mjs',
    expect: {
      busy: fulfilled(300, 300 + SLACK),
      'queued past its deadline': rejected({ name: 'DeadlineExceededError', code: 'ERR_POOL_DEADLINE_EXCEEDED' }, 100 + SLACK),
      'queued with less than its minTimeLeftMs left': rejected(
        { name: 'DeadlineExceededError', code: 'ERR_POOL_DEADLINE_EXCEEDED', message: /less than 4900 ms away \(its minTimeLeftMs\) while it was queued/ },
        100 + SLACK,
      ),
      close: fulfilled(),
      'held past its deadline': rejected({ name: 'DeadlineExceededError', code: 'ERR_POOL_DEADLINE_EXCEEDED' }, 150 + SLACK),
      'close held': fulfilled(),
    },
    notes: { 'finished well before their deadlines': 2 },
  },
  {
    name: 'around an open circuit: a refused task retried at the half-open (retryCircuitOpen), and a probe cancelled by its caller holding its place until cancelledProbeMs',
    file: 'circuit-retry.mjs',
    expect: {
      'failing 1': rejected({ name: 'Error', message: /call 1/ }, SLACK),
      'failing 2': rejected({ name: 'Error', message: /call 2/ }, SLACK),
      'refused, retried when the circuit half-opens': fulfilled('call 3', 200 + SLACK),
      'close rejecting': fulfilled(),
      opener: rejected({ name: 'Error' }, SLACK),
      'probe cancelled by its caller': rejected({ name: 'TimeoutError' }, 150 + SLACK),
      'held behind the cancelled probe': fulfilled('done later', 350 + SLACK),
      'close holding': fulfilled(),
    },
    notes: {
      'calls of the rejecting provider': 3,
      circuit: ['open (consecutive-failures)', 'half-open (open-elapsed)', 'open (probe-cancelled)', 'half-open (open-elapsed)', 'closed (probes-succeeded)'],
    },
  },
  {
    name: "onQueueFull 'wait': a caller waiting for room gets QueueFullError at queueWaitTimeout; close({ timeout }) ends the rest",
    file: 'queue-wait.mjs',
    expect: {
      'waiting for room': rejected({ name: 'QueueFullError', code: 'ERR_POOL_QUEUE_FULL' }, 150 + SLACK),
      running: closed(),
      queued: closed(),
      close: fulfilled(),
    },
    notes: { report: { unstarted: 1, aborted: 1, timedOut: true } },
  },
  {
    name: 'map() and runAll() over a slow handler: every iteration settles',
    file: 'map-run-all.mjs',
    expect: { map: fulfilled([2, 4, 6, 8, 10, 12]), runAll: fulfilled([2, 4, 6, 8, 10, 12]), close: fulfilled() },
  },
  ...(['handler', 'threads', 'processes'] as const).map((kind) => ({
    name: `close({ timeout: 200 }), ${kind}: a task that never ends is aborted and close() resolves`,
    file: 'close-timeout.mjs',
    args: [kind],
    expect: { 'hung task': closed(), 'queued task': closed(), close: fulfilled(undefined, 200 + SLACK) },
  })),
  ...kinds.map((kind) => ({
    name: `idleTimeout with minWorkers 0, ${kind}: the idle worker is given back and a task at 0 workers starts one at once`,
    file: 'idle-workers.mjs',
    args: [kind],
    expect: { 'first run': fulfilled(2), 'run at 0 workers': fulfilled(4, 3_000), close: fulfilled() },
    notes: { workersWhenIdle: 0 },
  })),
]

/** Where the bullmq scenarios need a redis-server, why they cannot run (undefined when they can). */
function redisMissing(): string | undefined {
  const binary = process.env.REDIS_SERVER ?? 'redis-server'
  const probe = spawnSync(binary, ['--version'], { stdio: 'ignore' })
  return probe.error === undefined && probe.status === 0 ? undefined : `skipped: \`${binary}\` is not on PATH (install redis-server, as .ci/run does, or set REDIS_SERVER)`
}
const noRedis = redisMissing()
const connectionError: Expectation = rejected({ name: 'BullmqConnectionError', code: 'ERR_BULLMQ_CONNECTION' }, 500 + SLACK)

const bullmq: Scenario[] = [
  {
    name: 'bullmq: consume(), a remote run() and queue metrics with no Redis reject with BullmqConnectionError at connectTimeout, leaving no timer, and nothing is left behind',
    file: 'bullmq-connect-timeout.mjs',
    expect: {
      consume: connectionError,
      'remote run': connectionError,
      'metrics.ready': connectionError,
      'metrics.close': fulfilled(),
      'remote.close': fulfilled(),
      'pool.close': fulfilled(),
    },
    notes: { timersAfterConsume: 0, timersAfterRemoteRun: 0, timersAfterMetrics: 0 },
  },
  {
    name: 'bullmq: remote run()s through consume() complete or time out, and everything closes',
    file: 'bullmq-remote.mjs',
    deadlineMs: 30_000,
    skip: noRedis,
    expect: {
      'run#*': fulfilled(),
      'run past its timeout': rejected({ name: 'TaskTimeoutError', code: 'ERR_POOL_TASK_TIMEOUT' }),
      'consumer.close': fulfilled(),
      'pool.close': fulfilled(),
      'remote.close': fulfilled(),
    },
  },
  {
    name: 'bullmq: a remote run() settles across a Redis restart, and everything closes',
    file: 'bullmq-reconnect.mjs',
    deadlineMs: 30_000,
    skip: noRedis,
    expect: {
      'run across a restart': anyOf(fulfilled(42), closed()),
      'remote.close': fulfilled(),
      'consumer.close': fulfilled(),
      'pool.close': fulfilled(),
    },
  },
]

const hostile: Scenario[] = kinds.flatMap((kind) =>
  (['getter', 'proxy'] as const).map((value) => ({
    name: `${kind}: a task that throws ${value === 'getter' ? 'an Error with a throwing getter' : 'a Proxy whose traps throw'} fails alone; the 3 tasks beside it on the worker complete, and the worker lives on`,
    file: 'hostile-error.mjs',
    args: [kind, value],
    expect: { 'hold#*': fulfilled(), hostile: rejected({ message: value === 'getter' ? /boom: a getter throws/ : /could not be serialised/ }), close: fulfilled() },
    notes: { sameWorker: true, workerExits: 0 },
  })),
)

const parentExit: Scenario[] = [
  {
    name: 'processes(): workers still in setup end with a main program that exits abruptly, leaving no orphan',
    file: 'parent-exit.mjs',
    closes: false,
    expect: {},
    notes: { starting: 2 },
  },
]

const routing: Scenario[] = [
  {
    name: 'selector: a task no worker can run is refused at once, one waiting aside for a busy worker is served when it frees, one declined until close() is reported unstarted',
    file: 'selector-aside.mjs',
    expect: {
      unplaceable: rejected({ name: 'NoCapableWorkerError', code: 'ERR_POOL_NO_CAPABLE_WORKER' }, SLACK),
      'gpu busy': fulfilled(200, 200 + SLACK),
      'aside for the gpu': fulfilled(5, 205 + SLACK),
      'behind it, on the other worker': fulfilled(5, 5 + SLACK),
      'declined until close': closed(),
      close: fulfilled(),
    },
    notes: { 'aside still waiting when the task behind it was done': 1, 'unstarted at close': 1 },
  },
]

// Scenarios run a few at a time (each may start workers, child processes or redis-server).
// As many as the machine has cores (2 to 4): other suites run beside this one.
const concurrency = Number(process.env.LIVENESS_CONCURRENCY ?? Math.max(2, Math.min(4, availableParallelism())))
let running = 0
const waiting: (() => void)[] = []
async function limited<T>(fn: () => Promise<T>): Promise<T> {
  // A finishing run hands its place straight to the next in line.
  if (running < concurrency) running++
  else await new Promise<void>((resolve) => waiting.push(resolve))
  try {
    return await fn()
  } finally {
    const next = waiting.shift()
    if (next === undefined) running--
    else next()
  }
}

const built = fileURLToPath(new URL('../../packages/core/dist/index.js', import.meta.url))

describe.concurrent('liveness: each scenario exits by itself, every awaited promise settled as expected', () => {
  if (noRedis !== undefined) console.warn(`liveness: the bullmq scenarios that need Redis are ${noRedis}`)

  const groups = {
    'node-adapter starts': [...workerStart, ...startBackoff, ...parentExit],
    'hostile errors': hostile,
    resource,
    scaler,
    'breaker holds': [...held, ...heldClose],
    '429s and the README pool': tooMany,
    'timer waits': timers,
    routing,
    bullmq,
  }
  for (const [group, scenarios] of Object.entries(groups)) {
    describe(group, () => {
      for (const s of scenarios) {
        const name = s.skip === undefined ? s.name : `${s.name} (${s.skip})`
        it.skipIf(s.skip !== undefined)(name, async ({ expect }) => {
          expect(existsSync(built), 'the packages are not built: run `pnpm build` first (the scenarios import their dist/)').toBe(true)
          const run = await limited(() => runScenario(s.file, s.args ?? [], s.deadlineMs ?? 20_000))
          const found = problems(s, run)
          expect(found, explain(s, run, found)).toEqual([])
        })
      }
    })
  }
})
