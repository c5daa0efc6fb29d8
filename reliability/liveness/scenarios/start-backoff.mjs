// close() or destroy() while a failed worker start waits for its respawn backoff:
//
//   node start-backoff.mjs <threads|processes> <close|destroy>
//
// The worker file is missing. After the first failed start (the pool's 'error'
// event) the pool waits out its backoff before trying again; closing or
// destroying it then must resolve, ready() must reject with WorkerStartError,
// the waiting run() must reject, and the process must exit by itself.
import { createPool } from '@poolkit/core'
import { processes, threads } from '@poolkit/node-adapter'
import { mark, track } from '../harness.mjs'

const [kind, how] = process.argv.slice(2)
const adapters = { threads, processes }
const pool = createPool({ executor: adapters[kind](new URL('../fixtures/does-not-exist.worker.mjs', import.meta.url)), concurrency: 1 })

const failedOnce = new Promise((resolve) => pool.on('error', resolve))
const ready = track('ready', pool.ready())
const run = track('run', pool.run(1))
await failedOnce
await track(how, how === 'close' ? pool.close() : pool.destroy())
mark('closed')
await ready
await run
