// close() settles held tasks: it runs those that may still run, and reports
// the others in `report.unstarted` (rejected with PoolClosedError); it never
// waits for ever.
//
//   node held-close.mjs <circuit|bulkhead|rate>   (see ../held-pools.mjs)
//
// circuit: close() with no timeout, while the circuit stays open until reset()
// (openMs Infinity): the held tasks can never run, so they must be reported.
// bulkhead: the opener takes 300 ms, then the held tasks run, all within
// close(). rate: close({ timeout: 500 }) while the next token is 5 s away.
import { heldPool, key } from '../held-pools.mjs'
import { mark, note, track } from '../harness.mjs'

const [kind] = process.argv.slice(2)
const { pool, opener } = heldPool(kind, { opener: kind === 'bulkhead' ? 'slow' : 'open', openMs: Infinity })

const first = track('opener', opener())
if (kind !== 'bulkhead') await first
const held = Array.from({ length: 5 }, (_, i) => track(`held#${i}`, pool.run(`task ${i}`, { key })))
let report
await track(
  'close',
  pool.close(kind === 'rate' ? { timeout: 500 } : undefined).then((r) => (report = r)),
)
mark('closed')
note('unstarted', report?.unstarted.length)
await Promise.all([first, ...held])
