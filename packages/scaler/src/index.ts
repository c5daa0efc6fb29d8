// @poolkit/scaler: scaling policies for poolkit pools, and a simulator to prove them.
export {}

// Scaling policies
export { thresholdScaler } from './threshold-scaler.js'
export type { ThresholdScalerOptions } from './threshold-scaler.js'
export { littleScaler } from './little-scaler.js'
export type { LittleScalerOptions } from './little-scaler.js'
export { adaptiveLimit } from './adaptive-limit.js'
export type { AdaptiveLimitOptions } from './adaptive-limit.js'
export { idleScaler } from './idle-scaler.js'
export type { IdleScalerOptions } from './idle-scaler.js'

// Simulator
export { simulate } from './simulate.js'
export type { Arrivals, ServiceModel, SimulateOptions, SimulationReport, SimulationSample } from './simulate.js'
