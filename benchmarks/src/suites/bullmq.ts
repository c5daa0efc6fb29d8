// Suite `bullmq`: CPU-bound jobs through BullMQ, run by BullMQ's own sandboxed processors
// or by @poolkit/bullmq's consume() feeding a poolkit thread pool, on one redis-server the
// suite starts itself (a free loopback port, no persistence).
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { consume } from '@poolkit/bullmq'
import { createPool } from '@poolkit/core'
import { threads } from '@poolkit/node-adapter'
import { Queue, Worker } from 'bullmq'
import type { Job } from 'bullmq'
import { quick, settings } from '../config.js'
import { fmtRate, fmtRatio, median, printTable } from '../stats.js'
import { closeWithin, ordered, percentile, reportOthers, untilIdle, versionOf, watchOthers } from '../thread-harness.js'
import { DIGESTS, hash, HASHED_BYTES } from '../workers/work.js'

/** The lines of the suite, as named in its tables. */
export const BULLMQ_LINE = {
  ours: 'poolkit consume() + threads()',
  sandbox: 'BullMQ sandboxed processor (child processes)',
  sandboxThreads: 'BullMQ sandboxed processor (useWorkerThreads)',
  mainThread: 'BullMQ processor on the main thread',
} as const

export interface BullmqLatency {
  /** Median job latency (ms). */
  readonly p50: number
  /** 99th percentile (ms). */
  readonly p99: number
}

/** What the bullmq suite measured, by line name (medians over rounds). */
export interface BullmqResult {
  /** Jobs completed per second, the whole batch queued at once. */
  readonly rates: Map<string, number>
  /** CPU time the whole machine spent per job of that batch (ms): every process, Redis included; Linux only. */
  readonly cpuPerJob: Map<string, number>
  /** Latency of those jobs, from the start of the drain to each one completed (ms). */
  readonly burst: Map<string, BullmqLatency>
  /** Latency from add to completed (ms), jobs added at a steady `steadyPerSecond`. */
  readonly steady: Map<string, BullmqLatency>
  readonly steadyPerSecond: number
}

const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => {})
const PROCESSOR = fileURLToPath(new URL('../workers/bullmq.processor.js', import.meta.url))
const POOLKIT_WORKER = new URL('../workers/poolkit.worker.js', import.meta.url)
const WORKERS = 2
const REDIS_HINT = 'the bullmq suite needs redis-server on PATH (apt-get install redis-server, brew install redis), or REDIS_SERVER set to its path'

// ---------------------------------------------------------------- redis-server

interface RedisServer {
  readonly connection: { readonly host: string; readonly port: number }
  stop(): Promise<void>
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no free port'))))
    })
  })
}

async function startRedis(): Promise<RedisServer> {
  const port = await freePort()
  const child: ChildProcess = spawn(process.env.REDIS_SERVER ?? 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const kill = (): void => {
    child.kill('SIGKILL')
  }
  process.once('exit', kill)
  await new Promise<void>((resolve, reject) => {
    let out = ''
    const onData = (chunk: Buffer): void => {
      out += chunk.toString()
      if (out.includes('Ready to accept connections')) {
        child.stdout!.off('data', onData).resume()
        child.stderr!.resume()
        resolve()
      }
    }
    child.stdout!.on('data', onData)
    child.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT' ? new Error(REDIS_HINT, { cause: error }) : error))
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code} before it was ready: ${out}`)))
  })
  return {
    connection: { host: '127.0.0.1', port },
    stop: () =>
      new Promise<void>((resolve) => {
        process.off('exit', kill)
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

// ---------------------------------------------------------------- consumers

/** A running consumer of one line: its BullMQ worker (for events and pausing) and how to close it. */
interface Running {
  readonly worker: Worker
  close(): Promise<void>
}

interface Line {
  readonly name: string
  start(queue: string, connection: RedisServer['connection']): Promise<Running>
}

const bullmqWorker = (name: string, processor: string | ((job: Job<number>) => Promise<string>), extra: object = {}): Line => ({
  name,
  async start(queue, connection) {
    const worker = new Worker<number, string>(queue, processor, { connection, concurrency: WORKERS, ...extra })
    await worker.waitUntilReady()
    return { worker, close: () => worker.close() }
  },
})

const LINES: readonly Line[] = [
  {
    name: BULLMQ_LINE.ours,
    async start(queue, connection) {
      const pool = createPool<number, string>({ executor: threads(POOLKIT_WORKER), concurrency: WORKERS })
      const consumer = await consume<number, string>(queue, { connection, pool })
      return {
        worker: consumer.worker,
        close: async () => {
          await consumer.close()
          await pool.close()
        },
      }
    },
  },
  bullmqWorker(BULLMQ_LINE.sandbox, PROCESSOR),
  // Worker threads refuse the suite's --expose-gc, which BullMQ would pass on from process.execArgv.
  bullmqWorker(BULLMQ_LINE.sandboxThreads, PROCESSOR, { useWorkerThreads: true, workerThreadsOptions: { execArgv: [] } }),
  bullmqWorker(BULLMQ_LINE.mainThread, async (job) => hash(job.data)),
]

// ---------------------------------------------------------------- one line, one round

/** Busy ticks of the whole machine (Linux `/proc/stat`), or undefined where it cannot be read. */
function busyTicks(): number | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number)
    // user nice system idle iowait irq softirq steal: everything but idle and iowait.
    return f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!
  } catch {
    return undefined
  }
}

interface Sample {
  readonly rate: number
  readonly cpuPerJob: number
  readonly burst: readonly number[]
  readonly steady: readonly number[]
}

/** Calls `onDone(job, result)` for each completed job until `count` completed; resolves then, rejects on a failed job or a wrong result. */
function completions(worker: Worker, count: number, onDone: (job: Job<number>, result: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = 0
    const stop = (): void => {
      worker.off('completed', completed)
      worker.off('failed', failed)
    }
    const completed = (job: Job<number>, result: string): void => {
      try {
        onDone(job, result)
      } catch (error) {
        stop()
        reject(error)
        return
      }
      if (++done === count) {
        stop()
        resolve()
      }
    }
    const failed = (job: Job | undefined, error: Error): void => {
      stop()
      reject(new Error(`job ${job?.id} failed: ${error.message}`))
    }
    worker.on('completed', completed)
    worker.on('failed', failed)
  })
}

const jobsOf = (from: number, n: number): { name: string; data: number; opts: { removeOnComplete: true } }[] =>
  Array.from({ length: n }, (_, i) => ({ name: 'hash', data: from + i, opts: { removeOnComplete: true } }))

async function addAll(queue: Queue, from: number, n: number): Promise<void> {
  for (let i = 0; i < n; i += 1_000) await queue.addBulk(jobsOf(from + i, Math.min(1_000, n - i)))
}

async function measure(line: Line, round: number, redis: RedisServer, expected: readonly string[]): Promise<Sample> {
  const s = settings.bullmq
  const queue = new Queue(`bench-${round}-${line.name.replace(/[^a-z]+/gi, '-')}`, { connection: redis.connection })
  await queue.obliterate({ force: true })
  const running = await line.start(queue.name, redis.connection)
  const check = (job: Job<number>, result: string): void => {
    if (result !== expected[job.data]) throw new Error(`${line.name}: job ${job.data} returned ${result}`)
  }
  try {
    // Warm up: children forked or threads started, the hash compiled.
    let done = completions(running.worker, s.warmupJobs, check)
    await addAll(queue, 0, s.warmupJobs)
    await done

    // Burst: every job queued while the worker is paused, then the drain is timed.
    await running.worker.pause()
    await addAll(queue, 0, s.jobs)
    gc()
    const burst: number[] = []
    let t0 = 0
    done = completions(running.worker, s.jobs, (job, result) => {
      check(job, result)
      burst.push(performance.now() - t0)
    })
    const ticks0 = busyTicks()
    t0 = performance.now()
    void running.worker.resume()
    await done
    const ticks1 = busyTicks()
    const rate = (s.jobs * 1000) / Math.max(...burst)
    // /proc/stat counts in USER_HZ (100 per second): 10 ms per tick.
    const cpuPerJob = ticks0 === undefined || ticks1 === undefined ? NaN : ((ticks1 - ticks0) * 10) / s.jobs

    // Steady: jobs added at a fixed pace, each timed from its add to its completion
    // (the data of these jobs are distinct indexes, so they key their add times).
    const steady: number[] = []
    const addedAt = new Map<number, number>()
    done = completions(running.worker, s.steadyJobs, (job, result) => {
      check(job, result)
      steady.push(performance.now() - addedAt.get(job.data)!)
    })
    const start = performance.now()
    for (let added = 0; added < s.steadyJobs;) {
      const due = Math.min(s.steadyJobs, Math.floor(((performance.now() - start) * s.steadyPerSecond) / 1000) + 1)
      if (due > added) {
        const now = performance.now()
        for (let i = added; i < due; i++) addedAt.set(i, now)
        await queue.addBulk(jobsOf(added, due - added))
        added = due
      } else {
        await new Promise((resolve) => setTimeout(resolve, 2))
      }
    }
    await done
    return { rate, cpuPerJob, burst, steady }
  } finally {
    await closeWithin(line.name, running)
    await queue.obliterate({ force: true }).catch(() => {})
    await queue.close()
  }
}

// ---------------------------------------------------------------- the suite

export async function bullmq(): Promise<BullmqResult> {
  const s = settings.bullmq
  console.log(
    `\n## BullMQ: ${s.jobs.toLocaleString('en-US')} CPU-bound jobs (${DIGESTS} sha256 digests of ${HASHED_BYTES / 1024} KiB each) through one BullMQ queue, ` +
      `${WORKERS} workers per line, ${s.rounds} rounds (lines in alternating order)`,
  )
  console.log(
    `bullmq ${versionOf('bullmq')}, ioredis ${versionOf('ioredis')}; our line: consume() with its defaults (BullMQ concurrency follows the pool's capacity + 1) ` +
      `feeding createPool({ executor: threads(), concurrency: ${WORKERS} }); BullMQ lines: new Worker(queue, processor, { concurrency: ${WORKERS} })`,
  )
  const redis = await startRedis()
  const others = watchOthers()
  const hashStart = performance.now()
  const expected = Array.from({ length: s.jobs }, (_, i) => hash(i))
  const hashMs = (performance.now() - hashStart) / s.jobs
  const samples = new Map<string, Sample[]>(LINES.map((line) => [line.name, []]))
  try {
    for (let round = 0; round < s.rounds; round++) {
      for (const line of ordered(LINES, round)) {
        await untilIdle()
        samples.get(line.name)!.push(await measure(line, round, redis, expected))
        process.stderr.write('.')
      }
    }
  } finally {
    process.stderr.write('\n')
    await redis.stop()
  }

  const latency =
    (pick: (x: Sample) => readonly number[]) =>
    (runs: Sample[]): BullmqLatency => ({
      p50: median(runs.map((r) => percentile(pick(r), 0.5))),
      p99: median(runs.map((r) => percentile(pick(r), 0.99))),
    })
  const rates = new Map([...samples].map(([name, runs]) => [name, median(runs.map((r) => r.rate))]))
  const cpuPerJob = new Map([...samples].map(([name, runs]) => [name, median(runs.map((r) => r.cpuPerJob))]))
  const burst = new Map([...samples].map(([name, runs]) => [name, latency((r) => r.burst)(runs)]))
  const steady = new Map([...samples].map(([name, runs]) => [name, latency((r) => r.steady)(runs)]))
  const ms = (v: number): string => `${v.toFixed(1)} ms`
  const own = BULLMQ_LINE.ours
  console.log(`\n### B1. Throughput: ${s.jobs.toLocaleString('en-US')} jobs queued at once, drained; latency from the start of the drain to each job completed`)
  printTable(
    ['line', 'jobs/s (median)', 'each round', 'machine CPU / job', 'p50', 'p99', 'poolkit vs this (jobs/s)'],
    [...samples].map(([name, runs]) => [
      name,
      fmtRate(rates.get(name)!),
      runs.map((r) => fmtRate(r.rate).replace('/s', '')).join(', '),
      Number.isNaN(cpuPerJob.get(name)!) ? '-' : `${cpuPerJob.get(name)!.toFixed(2)} ms`,
      ms(burst.get(name)!.p50),
      ms(burst.get(name)!.p99),
      name === own ? '1.00x' : fmtRatio(rates.get(own)! / rates.get(name)!),
    ]),
  )
  console.log(
    `("machine CPU / job": busy time of every core over the drain, all processes and Redis included, per job; ` +
      `the hash alone takes ${hashMs.toFixed(2)} ms on the main thread, so the rest is queue and transport overhead and other processes)`,
  )
  console.log(`\n### B2. Latency: ${s.steadyJobs.toLocaleString('en-US')} jobs added at ${s.steadyPerSecond}/s, each timed from its add to its completion`)
  printTable(
    ['line', 'p50', 'p99', 'this p50 / poolkit p50', 'this p99 / poolkit p99'],
    [...steady].map(([name, l]) => [name, ms(l.p50), ms(l.p99), fmtRatio(l.p50 / steady.get(own)!.p50), fmtRatio(l.p99 / steady.get(own)!.p99)]),
  )
  reportOthers(others)
  const ratio = rates.get(own)! / rates.get(BULLMQ_LINE.sandbox)!
  const judge = quick ? 'not judged in quick mode' : ratio >= 1.5 ? 'met' : 'NOT met'
  console.log('\n### BullMQ: targets (ratios of medians)')
  console.log(`throughput  poolkit / BullMQ sandboxed processors ${fmtRatio(ratio)}   target >= 1.5x: ${judge}`)
  console.log(`throughput  poolkit / BullMQ sandboxed processors on worker threads ${fmtRatio(rates.get(own)! / rates.get(BULLMQ_LINE.sandboxThreads)!)}`)
  console.log(
    `latency     burst p50 sandbox / poolkit ${fmtRatio(burst.get(BULLMQ_LINE.sandbox)!.p50 / burst.get(own)!.p50)}, p99 ${fmtRatio(burst.get(BULLMQ_LINE.sandbox)!.p99 / burst.get(own)!.p99)}; ` +
      `steady p50 ${fmtRatio(steady.get(BULLMQ_LINE.sandbox)!.p50 / steady.get(own)!.p50)}, p99 ${fmtRatio(steady.get(BULLMQ_LINE.sandbox)!.p99 / steady.get(own)!.p99)}`,
  )
  return { rates, cpuPerJob, burst, steady, steadyPerSecond: s.steadyPerSecond }
}
