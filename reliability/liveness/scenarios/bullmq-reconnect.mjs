// @poolkit/bullmq across a Redis restart (should pass today): while a remote
// run()'s job runs on the consumer, redis-server stops and starts again on the
// same port (its append-only file keeps the queue). The awaited run() must
// settle: with the job's value, or, if the job's outcome was lost, with
// PoolClosedError when the remote pool closes after 5 s. Everything then
// closes and the process exits by itself.
import { createPool } from '@poolkit/core'
import { consume, createRemotePool } from '@poolkit/bullmq'
import { startRedis } from '../redis-server.mjs'
import { mark, note, settledWithin, sleep, track } from '../harness.mjs'

const redis = await startRedis({ persist: true })
const { connection } = redis
let started
const jobStarted = new Promise((resolve) => (started = resolve))
const pool = createPool({
  handler: async (n) => {
    started()
    await sleep(800)
    return n * 2
  },
  concurrency: 1,
})
const consumer = await consume('liveness', { connection, pool })
const remote = createRemotePool({ queueName: 'liveness', connection })

const run = track('run across a restart', remote.run(21))
await jobStarted
await redis.kill()
await sleep(300)
await redis.start()
note('restarted', true)
await settledWithin(run, 5_000)
await track('remote.close', remote.close({ timeout: 1_000 }))
await track('consumer.close', consumer.close({ timeout: 2_000 }))
await track('pool.close', pool.close())
await redis.stop()
mark('closed')
