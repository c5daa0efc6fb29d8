// A worker file that cannot start, on threads or child processes:
//
//   node worker-start.mjs <threads|processes> <missing|syntax-error|exit-in-setup|exit-at-top|no-expose|setup-hangs>
//
// The pool retries with backoff, then gives up: ready() and every waiting run()
// must reject with WorkerStartError (its cause the worker's own error), close()
// must resolve, and the process must exit by itself. A setup that never settles
// (and keeps its worker alive) is failed by the new `startTimeout` option.
import { createPool } from '@poolkit/core'
import { processes, threads } from '@poolkit/node-adapter'
import { mark, note, track } from '../harness.mjs'

const [kind, fixture] = process.argv.slice(2)
const adapters = { threads, processes }
const url = new URL(`../fixtures/${fixture === 'missing' ? 'does-not-exist' : fixture}.worker.mjs`, import.meta.url)
// A worker that stays alive and never becomes ready can only be failed by a start timeout.
const options = fixture === 'setup-hangs' ? { startTimeout: 300 } : {}

// One worker: while a failed start waits out its backoff, nothing else of the pool is alive.
const pool = createPool({ executor: adapters[kind](url, options), concurrency: 1 })
let startErrors = 0
pool.on('error', () => startErrors++)

const ready = track('ready', pool.ready())
const runs = [1, 2, 3].map((n) => track(`run#${n}`, pool.run(n)))
await ready
await Promise.all(runs)
note('errorEvents', startErrors)
await track('close', pool.close())
mark('closed')
