// A selector that routes by capabilities (as @poolkit/routing's capabilities()
// does) over two kinds of in-process worker (combineExecutors): a task no worker
// can run is refused at once; a task that waits aside for the busy 'gpu'
// worker is served when it frees, on the handler's own 200 ms timer; a task the
// selector always declines waits aside until close({ timeout: 100 }) reports it
// unstarted. Then the process must exit by itself.
import { combineExecutors, createPool, inProcess, NoCapableWorkerError } from '@poolkit/core'
import { mark, note, track } from '../harness.mjs'

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const handler = async (ms) => {
  await sleep(ms)
  return ms
}
const has = (worker, needs) => needs.every((c) => worker.capabilities.includes(c))
const pool = createPool({
  executor: combineExecutors([
    { executor: inProcess(handler), workers: 1, capabilities: ['gpu'] },
    { executor: inProcess(handler), workers: 1 },
  ]),
  selector: {
    select: (candidates, task) => (task.key === 'never' ? undefined : candidates.find((w) => has(w, task.requires ?? []))),
    refuse: (task, workers) =>
      (task.requires ?? []).length > 0 && workers.every((w) => w.readyAt !== -1 && !has(w, task.requires))
        ? new NoCapableWorkerError(task.requires, [...new Set(workers.flatMap((w) => w.capabilities))])
        : undefined,
  },
})
await pool.ready()
await track('unplaceable', pool.run(1, { requires: ['tpu'] }))
const busy = track('gpu busy', pool.run(200, { requires: ['gpu'] }))
const aside = track('aside for the gpu', pool.run(5, { requires: ['gpu'] }))
const other = track('behind it, on the other worker', pool.run(5))
await other
note('aside still waiting when the task behind it was done', pool.stats().queued)
await busy
await aside
const never = track('declined until close', pool.run(1, { key: 'never' }))
let report
await track(
  'close',
  pool.close({ timeout: 100 }).then((r) => (report = r)),
)
mark('closed')
note('unstarted at close', report?.unstarted.length)
await never
