// @poolkit/bullmq (should pass today): createRemotePool().run() through a
// consume()r on a redis-server the scenario starts. Three runs complete, one
// times out on the consumer's pool (TaskTimeoutError), then the consumer, the
// pool, the remote pool and Redis close and the process exits by itself.
import { createPool } from '@poolkit/core'
import { consume, createRemotePool } from '@poolkit/bullmq'
import { startRedis } from '../redis-server.mjs'
import { mark, track } from '../harness.mjs'

const redis = await startRedis()
const { connection } = redis
const pool = createPool({
  // Honours its signal, so the task that times out leaves no timer behind.
  handler: (n, { signal }) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve(n * 2), n === 'slow' ? 1_000 : 10)
      signal.addEventListener('abort', () => {
        clearTimeout(timer)
        reject(signal.reason)
      })
    }),
  concurrency: 2,
})
const consumer = await consume('liveness', { connection, pool })
const remote = createRemotePool({ queueName: 'liveness', connection })

const runs = [1, 2, 3].map((n) => track(`run#${n}`, remote.run(n)))
const slow = track('run past its timeout', remote.run('slow', { timeout: 200 }))
await Promise.all([...runs, slow])
await track('consumer.close', consumer.close())
await track('pool.close', pool.close())
await track('remote.close', remote.close())
await redis.stop()
mark('closed')
