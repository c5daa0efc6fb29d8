// A provider that answers 429 for ever, through createRateLimiter() as the
// pool's breaker. A 429's re-run is free (it spends no retry), so it must be
// bounded by the pool's retry.maxBreakerRetries (default 10):
//
//   node breaker-429.mjs retry-after-ms-0   # the error says retryAfterMs: 0
//   node breaker-429.mjs retry-after-1s     # the error says retryAfter: 1 (s); the task has timeout: 1500
//
// With retryAfterMs 0 the task must reject with the 429 error after 1 + 10
// calls; with a 1 s pause the task's timeout covers the pauses and it must
// reject with TaskTimeoutError.
import { createPool } from '@poolkit/core'
import { createRateLimiter } from '@poolkit/breaker'
import { mark, note, track } from '../harness.mjs'

const [hint] = process.argv.slice(2)

class TooManyRequests extends Error {
  name = 'TooManyRequests'
  code = 'E_429'
  status = 429
}

let calls = 0
const pool = createPool({
  handler: async () => {
    note('calls', ++calls)
    const error = new TooManyRequests('429 Too Many Requests')
    if (hint === 'retry-after-1s') error.retryAfter = 1
    else error.retryAfterMs = 0
    throw error
  },
  breaker: createRateLimiter(),
})

await track('run', pool.run('request', hint === 'retry-after-1s' ? { timeout: 1_500 } : undefined))
await track('close', pool.close())
mark('closed')
