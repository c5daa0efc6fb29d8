import { createPool, createVirtualClock } from '@poolkit/core'
import type { VirtualClock } from '@poolkit/core'
import { describe, expect, it } from 'vitest'
import { createRateLimiter } from '../src/index.js'
import type { RateLimit } from '../src/index.js'

// Why the token bucket's default burst is 100 ms worth of starts, not a
// second's worth (issue 23). The provider enforces the same rate with a bucket
// of the same size, but refills it on its own clock, in steps (here 5 tokens
// every 100 ms, out of phase with ours), and sees our starts after a varying
// network delay. After a quiet spell, a burst of a second's worth drains the
// provider's whole bucket at once; from then on every start that arrives just
// before the provider's next step draws a 429, and each 429 pauses the key for
// its Retry-After. A burst of 100 ms worth leaves 90% of the provider's bucket
// as headroom for those mismatches.

/** Runs 1,000 requests asked at once against such a provider (50/s, a bucket of 50); returns the 429s it answered. */
async function tooManyAgainstMatchingBucket(limit: RateLimit): Promise<number> {
  const clock: VirtualClock = createVirtualClock()
  // The provider's bucket, as full as ours after a quiet spell; refilled 5 tokens at a time, 37 ms out of phase.
  let tokens = 50
  let step = 0
  let tooMany = 0
  // A seeded network delay of 0-30 ms per request.
  let seed = 42
  const delay = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 30
  const provider = (): Promise<string> =>
    new Promise((resolve, reject) =>
      clock.setTimeout(() => {
        const steps = Math.floor((clock.now() + 37) / 100)
        tokens = Math.min(50, tokens + (steps - step) * 5)
        step = steps
        if (tokens >= 1) {
          tokens--
          resolve('ok')
        } else {
          tooMany++
          reject(Object.assign(new Error('429'), { status: 429, retryAfter: 1 }))
        }
      }, delay()),
    )
  const limiter = createRateLimiter({ clock, limits: { llm: limit } })
  const pool = createPool({ handler: provider, clock, concurrency: 100, breaker: limiter, retry: { attempts: 1 } })
  const results = Array.from({ length: 1000 }, () => pool.run(undefined, { key: 'llm' }).catch(() => 'failed'))
  for (let i = 0; i < 500; i++) await clock.advance(50)
  await Promise.all(results)
  await pool.close()
  return tooMany
}

describe('createRateLimiter: the default burst against a provider whose bucket matches the limit', () => {
  it("the default burst (100 ms worth) leaves the provider headroom for its refill steps and network jitter: no 429; a second's worth draws 429s, each pausing the key", async () => {
    expect(await tooManyAgainstMatchingBucket({ perSecond: 50 })).toBe(0)
    expect(await tooManyAgainstMatchingBucket({ perSecond: 50, burst: 50 })).toBeGreaterThan(0)
  })
})
