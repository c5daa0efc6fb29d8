/** Run settings: `--quick` or `BENCH_QUICK=1` for a smoke run, CLI words or `BENCH_FILTER` to pick suites. */
export const quick = process.env.BENCH_QUICK === '1' || process.env.BENCH_QUICK === 'true' || process.argv.slice(2).includes('--quick')
export const verbose = process.env.BENCH_VERBOSE === '1'

export const SUITES = [
  'throughput',
  'priority',
  'memory',
  'queues',
  'threads',
  'scaling',
  'metrics',
  'breaker',
  'browser',
  'resource',
  'bullmq',
  'keys',
  'routing',
  'demo',
  'web-parse',
  'http',
  'gateway',
] as const
export type SuiteName = (typeof SUITES)[number]

/** Suites named on the command line (`pnpm bench priority memory`) or in BENCH_FILTER (comma separated); all when none. Flags (`--quick`) are not suite names. */
export function selectedSuites(argv: readonly string[]): SuiteName[] {
  const words = [...argv, ...(process.env.BENCH_FILTER ?? '').split(',')].map((w) => w.trim().toLowerCase()).filter((w) => w !== '' && !w.startsWith('--'))
  if (words.length === 0) return [...SUITES]
  const picked = SUITES.filter((s) => words.some((w) => s.startsWith(w)))
  const unknown = words.filter((w) => !SUITES.some((s) => s.startsWith(w)))
  if (unknown.length > 0) throw new Error(`unknown suite ${unknown.map((w) => JSON.stringify(w)).join(', ')}; pick from ${SUITES.join(', ')}`)
  return picked
}

/** `BENCH_BATCH=2000` overrides the throughput suite's batch size (the ratios depend on it; see the README). */
function batchOverride(): number | undefined {
  const raw = process.env.BENCH_BATCH
  if (raw === undefined || raw === '') return undefined
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_BATCH must be a positive integer, got ${JSON.stringify(raw)}`)
  return n
}

const base = quick
  ? {
      throughput: { batch: 2_000, concurrencies: [2, 64], rounds: 1, timeMs: 150, iterations: 5, warmupMs: 50, warmupIterations: 2 },
      priority: { tasks: 10_000, concurrency: 64, rounds: 1, iterations: 2, warmupIterations: 1 },
      backlog: { sizes: [2_000, 20_000], rounds: 1, warmupBatches: 2 },
      memory: { tasks: 100_000 },
      queues: { fifoItems: 100_000, heapTasks: 10_000, rounds: 1, iterations: 3, warmupIterations: 1, poolBatch: 2_000, poolConcurrency: 2, poolTimeMs: 100, poolIterations: 5 },
      threads: {
        workers: 2,
        tasks: 5_000,
        backlogTasks: 20_000,
        warmupTasks: 1_000,
        rounds: 1,
        prefetch: [0, 16, 64],
        latency: { samples: 200, warmup: 50, block: 50 },
        cpu: { tasks: 200 },
        busyMain: { tasks: 200, blockMs: 20, everyMs: 25 },
        move: { roundTrips: 100, block: 50, bytes: 2 ** 20 },
        startupRuns: 1,
      },
      scaling: { workers: [1, 2, 4, 8, 16], tasks: 100, rounds: 1 },
      metrics: { values: 100_000, rounds: 1, iterations: 3, warmupIterations: 1 },
      breaker: {
        calls: 2_000,
        rounds: 1,
        timeMs: 0,
        iterations: 5,
        warmupMs: 0,
        warmupIterations: 2,
        poolTasks: 2_000,
        poolConcurrency: 16,
        bottleneckTasks: 50,
        pool: { rounds: 1, timeMs: 0, iterations: 5, warmupMs: 0, warmupIterations: 2 },
        pacingTasks: 200,
        pacingPerSecond: 100,
      },
      browser: { throughput: { tasks: 2_000, warmupTasks: 200, rounds: 1 }, latency: { samples: 200, warmup: 20, block: 50 }, cpu: { tasks: 20, rounds: 1, warmupPerWorker: 5 } },
      resource: { calls: 2_000, users: 16, max: 4, rounds: 1, timeMs: 0, iterations: 5, warmupMs: 0, warmupIterations: 2 },
      bullmq: { jobs: 200, warmupJobs: 20, steadyJobs: 100, steadyPerSecond: 400, rounds: 1 },
      keys: { batch: 2_000, concurrency: 16, keyCounts: [10, 20_000], rounds: 3, warmup: 1 },
      demo: { sampleMb: 1, rounds: 1, workers: 2 },
      webParse: { sampleMb: undefined as number | undefined, rounds: 1, workers: 2 as number | undefined },
      routing: { workers: 2, tasks: 2_000, warmupTasks: 500, bursts: 1, rounds: 1, cacheTasks: 1_000, inProcess: { batch: 1_000, concurrency: 4, warmup: 1, batches: 2, rounds: 1 } },
      // Overload in closed loop: 64 connections always outnumber 2 workers + maxQueue 32, on any machine.
      http: { workers: 2, maxQueue: 32, connections: [8], durationS: 1, warmupS: 0.5, overload: { connections: 64, rate: undefined }, rounds: 1, probeMs: 10 },
      gateway: { seed: 1, rounds: 1, short: true },
    }
  : {
      // Each library runs `rounds` times, in reversed order on odd rounds, and the
      // samples are pooled, so neither goes first every time.
      throughput: { batch: 10_000, concurrencies: [2, 64], rounds: 2, timeMs: 1_000, iterations: 15, warmupMs: 200, warmupIterations: 3 },
      priority: { tasks: 100_000, concurrency: 64, rounds: 4, iterations: 3, warmupIterations: 1 },
      // Backlog: the throughput per task as the tasks submitted at once grow (issue 21).
      backlog: { sizes: [10_000, 200_000, 1_000_000], rounds: 5, warmupBatches: 20 },
      memory: { tasks: 1_000_000 },
      // Data structures: each iteration is one whole run (push everything, then take everything out).
      queues: { fifoItems: 1_000_000, heapTasks: 100_000, rounds: 2, iterations: 15, warmupIterations: 3, poolBatch: 10_000, poolConcurrency: 2, poolTimeMs: 1_000, poolIterations: 15 },
      // Thread pools: each line gets a fresh pool per round; rounds alternate the order.
      threads: {
        workers: 2,
        tasks: 100_000,
        // T2b: the burst again with a backlog ten times larger (issue 21), for poolkit, piscina and poolifier.
        backlogTasks: 1_000_000,
        warmupTasks: 10_000,
        rounds: 3,
        prefetch: [0, 16, 64],
        latency: { samples: 5_000, warmup: 200, block: 100 },
        cpu: { tasks: 3_000 },
        // T7: the T4 work while the main thread is blocked 20 ms of every 25 (its own work, a busy machine).
        busyMain: { tasks: 3_000, blockMs: 20, everyMs: 25 },
        move: { roundTrips: 2_000, block: 100, bytes: 2 ** 20 },
        startupRuns: 3,
      },
      // Scaling: the T4 batch at each worker count up to the machine's cores (the same batch each time), a fresh pool per line and round.
      scaling: { workers: [1, 2, 4, 8, 16], tasks: 4_000, rounds: 3 },
      // Histograms: each iteration records every value once into the same histogram; two rounds, alternating order.
      metrics: { values: 1_000_000, rounds: 2, iterations: 15, warmupIterations: 3 },
      // Breakers and limiters: B1-B3 run `calls` guarded calls (or `poolTasks` pool tasks) per batch, bottleneck
      // `bottleneckTasks` (it takes about 2.3 ms a job); two rounds, alternating order.
      breaker: {
        calls: 10_000,
        rounds: 2,
        timeMs: 300,
        iterations: 20,
        warmupMs: 100,
        warmupIterations: 5,
        poolTasks: 10_000,
        poolConcurrency: 16,
        bottleneckTasks: 100,
        pool: { rounds: 2, timeMs: 500, iterations: 15, warmupMs: 100, warmupIterations: 3 },
        pacingTasks: 200,
        pacingPerSecond: 100,
      },
      // Browser (headless Chromium): throughput gets a fresh pool per line and round, rounds alternating the order;
      // round trips take turns in blocks; the CPU-bound tasks are about 5 ms each, each pool
      // open for the whole section and warmed with warmupPerWorker tasks per worker (V8 takes tens of them to optimise the hash in a fresh worker).
      browser: { throughput: { tasks: 10_000, warmupTasks: 1_000, rounds: 5 }, latency: { samples: 2_000, warmup: 200, block: 100 }, cpu: { tasks: 200, rounds: 3, warmupPerWorker: 20 } },
      // Resource pools: each batch is `calls` acquire+release cycles (or use calls), `users` callers sharing `max` resources in R2/R3; two rounds, alternating order.
      resource: { calls: 10_000, users: 16, max: 4, rounds: 2, timeMs: 300, iterations: 20, warmupMs: 100, warmupIterations: 5 },
      // BullMQ: each line (a consumer on a fresh queue) warms up on warmupJobs, drains `jobs` queued at once (B1), then
      // runs steadyJobs added at steadyPerSecond (B2); one redis-server for the whole suite; rounds alternate the order.
      bullmq: { jobs: 2_000, warmupJobs: 100, steadyJobs: 1_000, steadyPerSecond: 400, rounds: 3 },
      // Keyed structures: every line (a structure at a key count) keeps one pool for the run; the lines take turns
      // batch by batch. The warm-up (5 batches of 10,000) goes round the 20,000 keys more than twice, so tables are full.
      keys: { batch: 10_000, concurrency: 16, keyCounts: [10, 20_000], rounds: 30, warmup: 5 },
      // The parse-codebase demo's job (a sample of node_modules, about sampleMb MB) through poolkit, piscina and tinypool.
      demo: { sampleMb: 16, rounds: 5, workers: 2 },
      // The web-parse page in Chromium: about sampleMb MB of node_modules (BENCH_WEB_PARSE_DIR: a folder instead; quick mode: ESLint's
      // lib/linter) on a pool of `workers` Web Workers (undefined: navigator.hardwareConcurrency), one worker, the main thread and independent workers.
      webParse: { sampleMb: 16 as number | undefined, rounds: 5, workers: undefined as number | undefined },
      // Routing: every line and round in a fresh process (routing-child.ts), the lines taking turns. R1 `bursts` bursts of `tasks`
      // on threads() after `warmupTasks`, poolifier's strategies on the same burst; R2 in-process batches; R3 `cacheTasks` tasks
      // over per-key validators that each worker caches.
      routing: { workers: 2, tasks: 50_000, warmupTasks: 10_000, bursts: 3, rounds: 5, cacheTasks: 20_000, inProcess: { batch: 10_000, concurrency: 4, warmup: 10, batches: 10, rounds: 5 } },
      // HTTP (examples/http-offload): every line and round a fresh server process; `durationS` of autocannon at each
      // connection count, then at `overload.connections` offering `overload.rate` req/s (above what 2 workers render);
      // /health probed every `probeMs` meanwhile; rounds alternate the order.
      http: { workers: 2, maxQueue: 32, connections: [8, 32], durationS: 5, warmupS: 2, overload: { connections: 256, rate: 2_000 }, rounds: 3, probeMs: 10 },
      // The gateway example (examples/gateway): each line and round one run of the scenario (15 s of arrivals, about
      // 17 s with start-up and the last deadlines) in a fresh process, the lines taking turns; quick: poolkit and
      // the p-queue peer on the short scenario (4 s), once.
      gateway: { seed: 1, rounds: 3, short: false },
    }

export const settings = { ...base, throughput: { ...base.throughput, batch: batchOverride() ?? base.throughput.batch } }
