// @poolkit/resource pool: an acquire waiting on the create backoff. The first
// create succeeds (that lease is held), the next two fail, the fourth succeeds:
// the waiter has something to wait for, so it waits while the pool backs off
// (100 ms, then 200 ms) and is served by the fourth create.
import { createResourcePool } from '@poolkit/resource'
import { mark, note, track } from '../harness.mjs'

let creates = 0
const pool = createResourcePool({
  create: async () => {
    creates++
    if (creates === 2 || creates === 3) throw new Error(`create ${creates} failed: connection refused`)
    return { id: creates }
  },
  destroy: () => {},
  max: 2,
  createBackoff: { initialMs: 100 },
  acquireTimeoutMs: 5_000,
})

const held = await pool.acquire()
const second = track(
  'acquire during create backoff',
  pool.acquire().then((lease) => {
    lease.release()
    return lease.resource.id
  }),
)
await second
held.release()
note('creates', creates)
await track('drain', pool.drain())
mark('closed')
