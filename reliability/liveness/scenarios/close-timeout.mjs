// close({ timeout: 200 }) aborts a task that never ends (should pass today):
// on the in-process handler the close timer is the only thing alive; on threads
// and processes the hung worker is terminated.
//
//   node close-timeout.mjs <handler|threads|processes>
import { createPool } from '@poolkit/core'
import { processes, threads } from '@poolkit/node-adapter'
import { mark, note, track } from '../harness.mjs'

const [kind] = process.argv.slice(2)
const url = new URL('../fixtures/ok.worker.mjs', import.meta.url)
const runtime = kind === 'handler' ? { handler: () => new Promise(() => {}) } : { executor: (kind === 'threads' ? threads : processes)(url) }
const pool = createPool({ ...runtime, concurrency: 1 })
await pool.ready()

const hung = track('hung task', pool.run(0, { name: kind === 'handler' ? undefined : 'hang' }))
const queued = track('queued task', pool.run(0, { name: kind === 'handler' ? undefined : 'hang' }))
let report
await track(
  'close',
  pool.close({ timeout: 200 }).then((r) => (report = r)),
)
mark('closed')
note('report', { unstarted: report?.unstarted.length, aborted: report?.aborted.length, timedOut: report?.timedOut })
await hung
await queued
