// @poolkit/resource: waits that a release on the user's own timer ends (should
// pass today): a pool acquire, and a key ring acquire of an exclusive key.
import { createKeyRing, createResourcePool } from '@poolkit/resource'
import { mark, track } from '../harness.mjs'

const pool = createResourcePool({ create: () => ({ id: 1 }), destroy: () => {}, max: 1 })
const lease = await pool.acquire()
setTimeout(() => lease.release(), 100)
await track(
  'pool acquire',
  pool.acquire().then((l) => {
    l.release()
    return l.resource.id
  }),
)

const ring = createKeyRing(['key-a'], { concurrencyPerKey: 1 })
const key = await ring.acquire()
setTimeout(() => key.release(), 100)
await track(
  'key ring use',
  ring.use((k) => k),
)

await track('drain', pool.drain())
ring.close()
mark('closed')
