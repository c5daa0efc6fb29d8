#!/usr/bin/env node
// poolkit across machines, on one machine: a producer and two consumers sharing one
// BullMQ queue on Redis. The consumers are separate processes (as separate machines
// would be), each running the jobs on its own thread pool; the producer is this
// process, with a remote pool whose run() has the shape of a local pool's.
//   pnpm --filter distributed start [-- --jobs N]      (REDIS_URL=redis://... to use your own Redis)
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createRemotePool } from '@poolkit/bullmq'
import type { HashResult } from './hash.worker.js'
import { startRedis } from './redis.js'

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '2000' }, workers: { type: 'string', default: '2' } } })
const jobs = Number(values.jobs)
if (!Number.isInteger(jobs) || jobs < 1) {
  console.error(`distributed: --jobs must be a positive integer, got ${JSON.stringify(values.jobs)}`)
  process.exit(2)
}

const CONSUMERS = ['consumer-a', 'consumer-b']
const redis = process.env.REDIS_URL === undefined ? await startRedis() : undefined
const url = redis?.url ?? process.env.REDIS_URL!
// A queue of its own per run, so a shared Redis is left as it was.
const queueName = `distributed-demo-${process.pid}`
console.log(`redis: ${redis === undefined ? url : `${url} (started for this run)`}, queue "${queueName}"`)

/** Starts a consumer process; resolves once it consumes. Its output is shown line by line. */
function startConsumer(name: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./consumer.js', import.meta.url))], {
    env: { ...process.env, REDIS_URL: url, QUEUE: queueName, CONSUMER: name, WORKERS: values.workers },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    let buffered = ''
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk
      let end: number
      while ((end = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, end)
        buffered = buffered.slice(end + 1)
        console.log(line)
        if (line.startsWith(`${name}: consuming`)) resolve(child)
      }
    })
    child.once('exit', (code) => reject(new Error(`${name} exited with code ${code} before it started`)))
  })
}

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code)))

let consumers: ChildProcess[] = []
const pool = createRemotePool<string, HashResult>({ queueName, connection: { url }, jobOptions: { attempts: 3, removeOnComplete: true } })
let exitCode = 0
try {
  consumers = await Promise.all(CONSUMERS.map(startConsumer))

  // The producer: the same calls as on a local pool, pool.run(input, { name }).
  const started = performance.now()
  const share = new Map(CONSUMERS.map((name) => [name, 0]))
  let done = 0
  const report = (): void => {
    const seconds = (performance.now() - started) / 1000
    console.log(`progress: ${done}/${jobs} jobs, ${seconds > 0 ? Math.round(done / seconds) : 0} jobs/s, ${[...share].map(([name, n]) => `${name} ${n}`).join(', ')}`)
  }
  report()
  const progress = setInterval(report, 500)
  await Promise.all(
    Array.from({ length: jobs }, async (_, i) => {
      const result = await pool.run(`job ${i}`, { name: 'hash' })
      share.set(result.consumer, (share.get(result.consumer) ?? 0) + 1)
      done++
    }),
  ).finally(() => clearInterval(progress))
  report()
  const seconds = (performance.now() - started) / 1000
  console.log(`done: ${jobs} jobs in ${seconds.toFixed(2)} s (${Math.round(jobs / seconds)} jobs/s)`)
  for (const [name, n] of share) console.log(`share: ${name} ran ${n} jobs (${((n / jobs) * 100).toFixed(1)}%)`)
} catch (error) {
  console.error(`distributed: ${error instanceof Error ? error.message : String(error)}`)
  exitCode = 1
} finally {
  // Graceful shutdown: SIGTERM, as an orchestrator would send; each consumer finishes its jobs and exits.
  for (const child of consumers) child.kill('SIGTERM')
  const codes = await Promise.all(consumers.map(exited))
  if (codes.some((code) => code !== 0)) exitCode = 1
  await pool.queue.obliterate({ force: true }).catch(() => {})
  await pool.close()
  await redis?.stop()
}
process.exitCode = exitCode
