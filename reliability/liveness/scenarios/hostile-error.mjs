// A task that throws a value its worker cannot serialise (an Error with an
// enumerable getter that throws, a Proxy whose traps throw) must fail alone:
// the three tasks beside it on the same worker (concurrentTasksPerWorker: 4)
// complete, and the worker is not replaced.
//
//   node hostile-error.mjs <threads|processes> <getter|proxy>
import { createPool } from '@poolkit/core'
import { processes, threads } from '@poolkit/node-adapter'
import { mark, note, track } from '../harness.mjs'

const [kind, value] = process.argv.slice(2)
const url = new URL('../fixtures/hostile.worker.mjs', import.meta.url)
let exits = 0
const pool = createPool({
  executor: (kind === 'threads' ? threads : processes)(url, { concurrentTasksPerWorker: 4 }),
  concurrency: 1,
  observers: [{ onWorkerExited: (_pool, _worker, reason) => reason !== 'closed' && exits++ }],
})
const holds = [1, 2, 3].map(() => pool.run(200, { name: 'hold' }))
holds.forEach((run, i) => track(`hold#${i + 1}`, run))
await track('hostile', pool.run(value, { name: 'hostile' }))
const ranOn = await Promise.all(holds.map((run) => run.catch(() => 'failed')))
note('sameWorker', !ranOn.includes('failed') && new Set(ranOn).size === 1)
note('workerExits', exits)
await track('close', pool.close())
mark('closed')
