// @poolkit/resource pool: acquires waiting for a resource that is never
// returned must reject with ResourceAcquireTimeoutError at the pool's
// acquireTimeoutMs and at their own timeoutMs.
import { createResourcePool } from '@poolkit/resource'
import { mark, track } from '../harness.mjs'

const pool = createResourcePool({ create: () => ({}), destroy: () => {}, max: 1, acquireTimeoutMs: 200 })
const held = await pool.acquire()

const poolTimeout = track('acquire() (acquireTimeoutMs 200)', pool.acquire())
const own = track('acquire({ timeoutMs: 300 })', pool.acquire({ timeoutMs: 300 }))
await poolTimeout
await own
held.release()
await track('drain', pool.drain())
mark('closed')
