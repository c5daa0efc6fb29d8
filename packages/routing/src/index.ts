// @poolkit/routing: worker selectors for poolkit pools (core's `WorkerSelector`).
export {}

export { roundRobin } from './round-robin.js'
export { leastBusy } from './least-busy.js'
export { leastEventLoopUtilization } from './least-event-loop-utilization.js'
export { fairShare } from './fair-share.js'
export { weightedRoundRobin } from './weighted-round-robin.js'
export type { WorkerWeights } from './weighted-round-robin.js'
export { affinity } from './affinity.js'
export type { AffinityOptions } from './affinity.js'
export { capabilities } from './capabilities.js'
export type { CapabilitiesOptions } from './capabilities.js'
export { predictive } from './predictive.js'
export type { PredictiveOptions } from './predictive.js'
