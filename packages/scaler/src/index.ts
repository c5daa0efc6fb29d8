// @poolkit/scaler: scaling policies for poolkit pools, and a simulator to prove them.
export {}

// Scaling policies
export { thresholdScaler } from './threshold-scaler.js'
export type { ThresholdScalerOptions } from './threshold-scaler.js'
export { littleScaler } from './little-scaler.js'
export type { LittleScalerOptions } from './little-scaler.js'
export { adaptiveLimit } from './adaptive-limit.js'
export type { AdaptiveLimitOptions } from './adaptive-limit.js'
// The idle rule is core's, one copy for the pools this package sizes and the node adapter's `idleTimeout`.
export { idleScaler } from '@poolkit/core'
export type { IdleScalerOptions } from '@poolkit/core'

// Simulator
export { simulate } from './simulate.js'
export type { Arrivals, ServiceModel, SimulateOptions, SimulationReport, SimulationSample } from './simulate.js'
