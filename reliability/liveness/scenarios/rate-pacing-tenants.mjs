// Two tenants' tasks paced by one provider's token bucket (10 starts per
// second, burst 1), the pool's queue fair by tenant: the quiet tenant's one
// task, held with the noisy tenant's three, starts second, not last (the held
// tasks of both tenants come back together at each token, and the fair queue
// picks); every task completes and the process exits once close() resolves,
// with no hold timer left behind.
import { createPool } from '@poolkit/core'
import { createRateLimiter } from '@poolkit/breaker'
import { createFairQueue } from '@poolkit/queue'
import { mark, note, track } from '../harness.mjs'

const started = []
const pool = createPool({
  handler: async (x) => x,
  queue: createFairQueue(),
  breaker: createRateLimiter({ key: (task) => task.labels?.provider, defaultLimit: { perSecond: 10, burst: 1 } }),
  observers: [{ onStarted: (_pool, task) => void started.push(task.key) }],
})
const labels = { provider: 'paced' }
const runs = [
  track('noisy#1', pool.run('n1', { key: 'noisy', labels })),
  track('noisy#2', pool.run('n2', { key: 'noisy', labels })),
  track('noisy#3', pool.run('n3', { key: 'noisy', labels })),
  track('quiet', pool.run('q1', { key: 'quiet', labels })),
]
await Promise.all(runs)
note('start order', started.join(' '))
await track('close', pool.close())
mark('closed')
