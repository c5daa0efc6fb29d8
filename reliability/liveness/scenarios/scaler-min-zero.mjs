// @poolkit/scaler thresholdScaler({ min: 0 }): a task submitted while the pool
// has no worker must make it grow at once, not on the scaler's next tick (5 s
// here), and complete:
//
//   node scaler-min-zero.mjs <handler|threads|processes>
import { createPool } from '@poolkit/core'
import { processes, threads } from '@poolkit/node-adapter'
import { thresholdScaler } from '@poolkit/scaler'
import { mark, note, track } from '../harness.mjs'

const [kind] = process.argv.slice(2)
const url = new URL('../fixtures/ok.worker.mjs', import.meta.url)
const runtime = kind === 'handler' ? { handler: async (n) => n * 2 } : { executor: (kind === 'threads' ? threads : processes)(url) }

const pool = createPool({ ...runtime, scaler: thresholdScaler({ min: 0, max: 2, intervalMs: 5_000 }) })
note('workersAtStart', pool.stats().workers.total)
await track('run', pool.run(21))
await track('close', pool.close())
mark('closed')
