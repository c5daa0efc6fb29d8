// Tasks paced by a token bucket (10 starts per second, burst 1) complete, each
// after waiting its turn on the pool's hold timer (should pass today).
import { createPool } from '@poolkit/core'
import { createRateLimiter } from '@poolkit/breaker'
import { mark, track } from '../harness.mjs'

const pool = createPool({ handler: async (n) => n * 2, breaker: createRateLimiter({ defaultLimit: { perSecond: 10, burst: 1 } }) })
await Promise.all(Array.from({ length: 5 }, (_, i) => track(`task#${i}`, pool.run(i, { key: 'provider' }))))
await track('close', pool.close())
mark('closed')
