// @poolkit/resource key ring: an acquire's own timeoutMs, and the ring's
// acquireTimeoutMs, while every key cools down for a minute. Each acquire must
// reject with ResourceAcquireTimeoutError at its timeout; close() clears the cooldown.
import { createKeyRing } from '@poolkit/resource'
import { mark, track } from '../harness.mjs'

const ring = createKeyRing(['key-a', 'key-b'], { cooldownMs: 60_000, acquireTimeoutMs: 300 })
ring.coolDown('key-a')
ring.coolDown('key-b')

const own = track('acquire({ timeoutMs: 200 })', ring.acquire({ timeoutMs: 200 }))
const ringTimeout = track('acquire() (acquireTimeoutMs 300)', ring.acquire())
await own
await ringTimeout
ring.close()
mark('closed')
