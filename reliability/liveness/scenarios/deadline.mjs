// Deadlines (RunOptions.deadlineMs): a task queued behind a 300 ms task with a
// 100 ms deadline fails on the deadline's own timer (DeadlineExceededError, at
// about 100 ms), one whose deadline is 5 s away but needs 4.9 s of it
// (minTimeLeftMs) fails at about 100 ms too, one held by a breaker with no
// end in sight fails at its deadline, and tasks that finish long before their 60 s deadlines leave
// no timer behind: the process exits as soon as close() resolves.
import { createPool } from '@poolkit/core'
import { mark, note, track } from '../harness.mjs'

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const pool = createPool({
  handler: async (ms) => {
    await sleep(ms)
    return ms
  },
  concurrency: 1,
})
const busy = track('busy', pool.run(300))
const queued = track('queued past its deadline', pool.run(1, { deadlineMs: 100 }))
// Its deadline is 5 s away, but it needs 4.9 s of it: it fails at about 100 ms, before the worker frees up.
const short = track('queued with less than its minTimeLeftMs left', pool.run(1, { deadlineMs: 5_000, minTimeLeftMs: 4_900 }))
await queued.catch(() => {})
await short.catch(() => {})
await busy
const fast = await Promise.all([pool.run(5, { deadlineMs: 60_000 }), pool.run(5, { deadline: Date.now() + 60_000 })])
note('finished well before their deadlines', fast.length)
await track('close', pool.close())

// A breaker that holds every task until woken (it never is): the deadline ends the wait.
const held = createPool({
  handler: async (x) => x,
  breaker: { admit: () => ({ retryAt: Infinity, hold: true }), acquire: () => undefined, onSuccess() {}, onFailure() {}, onCancel() {} },
})
await track('held past its deadline', held.run(1, { deadlineMs: 150 })).catch(() => {})
await track('close held', held.close())
mark('closed')
