// The main program ends abruptly (process.exit, a crash) while processes()
// workers are still in their setup: the workers must end with it, not live on
// as orphans. The test finds any process left in the scenario's group.
import { createPool } from '@poolkit/core'
import { processes } from '@poolkit/node-adapter'
import { note, sleep } from '../harness.mjs'

const url = new URL('../fixtures/setup-hangs.worker.mjs', import.meta.url)
const pool = createPool({ executor: processes(url, { startTimeout: Infinity }), concurrency: 2 })
pool.on('error', () => {})
// Long enough for both children to load their file and enter setup.
await sleep(700)
note('starting', pool.stats().workers.starting)
process.exit(0)
