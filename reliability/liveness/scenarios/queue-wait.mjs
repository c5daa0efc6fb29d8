// onQueueFull: 'wait' with queueWaitTimeout (should pass today): one task runs
// for ever (it sets no timer), one is queued, and a third caller waits for room
// and gets QueueFullError after 150 ms, on the pool's own timer. Then
// close({ timeout: 200 }) aborts the running task and reports the queued one.
import { createPool } from '@poolkit/core'
import { mark, note, track } from '../harness.mjs'

const pool = createPool({
  handler: () => new Promise(() => {}),
  concurrency: 1,
  maxQueue: 1,
  onQueueFull: 'wait',
  queueWaitTimeout: 150,
})
const running = track('running', pool.run('a'))
const queued = track('queued', pool.run('b'))
await track('waiting for room', pool.run('c'))
let report
await track(
  'close',
  pool.close({ timeout: 200 }).then((r) => (report = r)),
)
mark('closed')
note('report', { unstarted: report?.unstarted.length, aborted: report?.aborted.length, timedOut: report?.timedOut })
await running
await queued
