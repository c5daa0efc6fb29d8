// @poolkit/web-adapter: run a poolkit pool's tasks on Web Workers in a browser.
export { webWorkers } from './web-workers.js'
export { defaultConcurrency } from './default-concurrency.js'
export type { WebWorkersOptions } from './options.js'
export type { WebWorkerFactory, WebWorkerInstance } from './worker-factory.js'
