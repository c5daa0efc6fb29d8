// @poolkit/resource key ring: use() and acquire() waiting out a key's cooldown
// after a 429. The cooldown's end is the only thing that can serve them, so its
// timer must keep the process alive while they wait.
import { createKeyRing } from '@poolkit/resource'
import { mark, track } from '../harness.mjs'

class RateLimited extends Error {
  status = 429
}

const ring = createKeyRing(['key-a'], {
  cooldownMs: 60_000,
  // Retry-After: 300 ms.
  cooldownOn: (error) => (error instanceof RateLimited ? 300 : undefined),
})

// The provider answers 429: the one key rests for 300 ms.
await track(
  'first use (429)',
  ring.use(() => {
    throw new RateLimited('429 Too Many Requests')
  }),
)
const used = track(
  'use after cooldown',
  ring.use((key) => `served by ${key}`),
)
const acquired = track(
  'acquire after cooldown',
  ring.acquire().then((lease) => {
    lease.release()
    return lease.key
  }),
)
await used
await acquired
ring.close()
mark('closed')
