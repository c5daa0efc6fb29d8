// A held task whose signal aborts rejects with the signal's reason at once
// (should pass today).
//
//   node held-abort.mjs <circuit|bulkhead|rate>   (see ../held-pools.mjs)
import { heldPool, key } from '../held-pools.mjs'
import { mark, track } from '../harness.mjs'

const [kind] = process.argv.slice(2)
const { pool, opener } = heldPool(kind)

const first = track('opener', opener())
if (kind !== 'bulkhead') await first
const controller = new AbortController()
const held = track('held', pool.run('task', { key, signal: controller.signal }))
setTimeout(() => controller.abort(new Error('the caller gave up')), 100)
await held
await track('close', pool.close(kind === 'bulkhead' ? { timeout: 300 } : undefined))
mark('closed')
await first
