// @poolkit/node-adapter: run a poolkit pool's tasks on worker_threads or child processes.
export { threads } from './threads.js'
export { processes } from './processes.js'
export type { NodeWorkerOptions, ProcessesOptions, ThreadsOptions } from './options.js'
