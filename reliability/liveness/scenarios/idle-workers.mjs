// node-adapter's idleTimeout with minWorkers 0 (should pass today): the pool
// gives its worker back after 100 ms idle, and a task submitted at 0 workers
// makes it grow at once (the idle scaler acts on pressure, not on its tick).
//
//   node idle-workers.mjs <threads|processes>
import { createPool } from '@poolkit/core'
import { processes, threads } from '@poolkit/node-adapter'
import { mark, note, sleep, track } from '../harness.mjs'

const [kind] = process.argv.slice(2)
const url = new URL('../fixtures/ok.worker.mjs', import.meta.url)
const pool = createPool({ executor: (kind === 'threads' ? threads : processes)(url, { idleTimeout: 100, minWorkers: 0 }), concurrency: 2 })

await track('first run', pool.run(1))
await sleep(600)
note('workersWhenIdle', pool.stats().workers.total)
await track('run at 0 workers', pool.run(2))
await track('close', pool.close())
mark('closed')
