// Two consumer processes on one queue, 5,000 jobs: every job completes; and with one
// of them killed by SIGKILL mid-run, every job still completes, the only jobs run twice
// are the killed process's in-flight ones, and the test counts them.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Queue } from 'bullmq'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createQueueMetrics } from '../src/index.js'
import { startRedisServer } from './helpers/redis-server.js'
import type { RedisServer } from './helpers/redis-server.js'
import { queueName, until } from './helpers/wait.js'

const JOBS = 5_000
const root = fileURLToPath(new URL('..', import.meta.url))
const consumerScript = fileURLToPath(new URL('./fixtures/consumer.mjs', import.meta.url))

/** The consumer processes run plain Node on the built package: compile it when dist/ is missing or older than src/. */
function ensureBuilt(): void {
  const newest = (dir: string): number => Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)))
  const entry = join(root, 'dist/index.js')
  if (existsSync(entry) && statSync(entry).mtimeMs >= newest(join(root, 'src'))) return
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc')
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
}

let redis: RedisServer
let scratch: string
const children = new Set<ChildProcess>()
let cleanup: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  ensureBuilt()
  redis = await startRedisServer()
  scratch = mkdtempSync(join(tmpdir(), 'poolkit-bullmq-'))
}, 60_000)

afterEach(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  children.clear()
  for (const close of cleanup.reverse()) await close().catch(() => {})
  cleanup = []
})

afterAll(async () => {
  await redis?.stop()
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true })
})

/** Starts a consumer process and resolves once it consumes. */
function startConsumer(queue: string, log: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [consumerScript, String(redis.port), queue, log], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  return new Promise((resolve, reject) => {
    let stderr = ''
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      if (chunk.includes('ready')) resolve(child)
    })
    child.once('exit', (code, signal) => reject(new Error(`consumer exited (${code ?? signal}) before it was ready:\n${stderr}`)))
  })
}

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code)))

/** Each job id with the number of times a log says it ran, and the ids logged as done. */
function readLog(file: string): { runs: string[]; done: Set<string> } {
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n') : []
  return {
    runs: lines.filter((l) => l.startsWith('run ')).map((l) => l.slice(4)),
    done: new Set(lines.filter((l) => l.startsWith('done ')).map((l) => l.slice(5))),
  }
}

async function fill(queue: Queue): Promise<string[]> {
  const ids: string[] = []
  for (let from = 0; from < JOBS; from += 1_000) {
    const jobs = await queue.addBulk(Array.from({ length: 1_000 }, (_, i) => ({ name: 'default', data: from + i })))
    ids.push(...jobs.map((job) => job.id!))
  }
  return ids
}

function openQueue(label: string): Queue {
  const queue = new Queue(queueName(label), { connection: redis.connection })
  cleanup.push(() => queue.close())
  return queue
}

describe('two consumer processes on one queue', () => {
  it(`complete ${JOBS.toLocaleString('en-US')} jobs, each exactly once, both taking a share, and shut down on SIGTERM`, async () => {
    const queue = openQueue('two')
    const logs = [join(scratch, 'two-a.log'), join(scratch, 'two-b.log')]
    const consumers = await Promise.all(logs.map((log) => startConsumer(queue.name, log)))
    const ids = await fill(queue)
    await until(async () => (await queue.getJobCounts('completed')).completed === JOBS, `all ${JOBS} jobs completed`, 120_000)
    // Graceful shutdown; once they exited, their logs are complete (BullMQ records a job before its 'completed' event).
    for (const child of consumers) child.kill('SIGTERM')
    expect(await Promise.all(consumers.map(exited))).toEqual([0, 0])

    const [a, b] = logs.map(readLog)
    const runs = [...a!.runs, ...b!.runs]
    expect(runs).toHaveLength(JOBS)
    expect(new Set(runs)).toEqual(new Set(ids))
    expect(a!.done.size + b!.done.size).toBe(JOBS)
    expect(a!.done.size).toBeGreaterThan(0)
    expect(b!.done.size).toBeGreaterThan(0)
    expect(await queue.getJobCounts('failed', 'active', 'waiting')).toEqual({ failed: 0, active: 0, waiting: 0 })
  }, 180_000)

  it(`complete every job when one is killed with SIGKILL mid-run; the only jobs run twice are the killed one's in-flight jobs`, async () => {
    const queue = openQueue('kill')
    const metrics = createQueueMetrics(queue.name, { connection: redis.connection, intervalMs: 100 })
    cleanup.push(() => metrics.close())
    await metrics.ready()
    const [victimLog, survivorLog] = [join(scratch, 'kill-victim.log'), join(scratch, 'kill-survivor.log')]
    const [victim, survivor] = await Promise.all([startConsumer(queue.name, victimLog), startConsumer(queue.name, survivorLog)])
    const ids = await fill(queue)
    await until(() => readLog(victimLog).done.size >= 1_000, 'the victim completed 1,000 jobs', 60_000)
    victim!.kill('SIGKILL')
    await exited(victim!)
    const killed = readLog(victimLog)
    await until(async () => (await queue.getJobCounts('completed')).completed === JOBS, `all ${JOBS} jobs completed`, 120_000)
    survivor!.kill('SIGTERM')
    expect(await exited(survivor!)).toBe(0)

    const survived = readLog(survivorLog)
    const times = new Map<string, number>()
    for (const id of [...killed.runs, ...survived.runs]) times.set(id, (times.get(id) ?? 0) + 1)
    // Nothing lost: every job ran, and BullMQ has every one completed, none failed.
    expect(new Set(times.keys())).toEqual(new Set(ids))
    expect(await queue.getJobCounts('failed', 'active', 'waiting')).toEqual({ failed: 0, active: 0, waiting: 0 })

    // The victim's in-flight jobs: started there, never recorded as completed there.
    const inFlight = new Set(killed.runs.filter((id) => !killed.done.has(id)))
    const duplicates = [...times].filter(([, n]) => n > 1).map(([id]) => id)
    for (const id of duplicates) {
      expect(inFlight.has(id), `job ${id} ran twice but was not in flight in the killed consumer`).toBe(true)
      expect(times.get(id)).toBe(2)
      expect(survived.runs).toContain(id)
    }
    // The survivor itself ran nothing twice.
    expect(new Set(survived.runs).size).toBe(survived.runs.length)
    // At most what the killed consumer could hold (its maxConcurrency), and no more than BullMQ found stalled.
    // The collector reads its counts every 100 ms: on a loaded machine the stalled jobs may show a read or two after the completions.
    const stalledCount = (): number => metrics.collect().find((f) => f.name === 'bullmq_stalled_jobs_total')!.samples[0]!.value
    await until(() => stalledCount() >= 1, 'the queue metrics count the stalled jobs', 10_000)
    const stalled = stalledCount()
    expect(duplicates.length).toBeLessThanOrEqual(Math.min(16, stalled))
    // Whether any of the jobs taken back had already started in the killed consumer depends on
    // where its thread was when the SIGKILL came: on a loaded machine, possibly none (seen once in a
    // full run: stalled >= 1, duplicates 0). That the kill took jobs back is the stalled count above.
    console.info(
      `SIGKILL after ${killed.done.size} jobs: ${stalled} stalled jobs taken back, ${duplicates.length} of them had started and ran twice ` +
        `(${inFlight.size} in flight in the killed consumer); the survivor ran ${survived.runs.length}`,
    )
  }, 240_000)
})
