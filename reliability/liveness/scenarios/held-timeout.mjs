// Held tasks time out: 30 tasks with `timeout: 200` that a breaker holds aside
// must each reject with TaskTimeoutError within about 200 ms, however long the
// hold would last; then close() resolves and the process exits by itself.
//
//   node held-timeout.mjs <circuit|bulkhead|rate>   (see ../held-pools.mjs)
import { heldPool, key } from '../held-pools.mjs'
import { mark, track } from '../harness.mjs'

const [kind] = process.argv.slice(2)
const { pool, opener } = heldPool(kind)

// The bulkhead's opener never settles: it holds the key's one place until close() aborts it.
const first = track('opener', opener())
if (kind !== 'bulkhead') await first
const held = Array.from({ length: 30 }, (_, i) => track(`held#${i}`, pool.run(`task ${i}`, { key, timeout: 200 })))
await Promise.all(held)
await track('close', pool.close(kind === 'bulkhead' ? { timeout: 300 } : undefined))
mark('closed')
await first
