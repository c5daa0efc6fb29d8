// @poolkit/core/testing: the conformance suites every implementation of a core contract runs.
export { runQueueConformance } from './queue-conformance.js'
export type { QueueConformanceOptions, QueueOrder } from './queue-conformance.js'
export { conformanceFunctions, conformanceHandler, runExecutorConformance } from './executor-conformance.js'
export type { ExecutorConformanceOptions } from './executor-conformance.js'
export { runSelectorConformance } from './selector-conformance.js'
export type { SelectorConformanceOptions } from './selector-conformance.js'
export { seededRandom } from './test-api.js'
export type { TestApi } from './test-api.js'
