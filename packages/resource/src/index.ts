// @poolkit/resource: pools of reusable resources (clients, connections) and rings of API keys.

// Resource pool
export { createResourcePool } from './resource-pool.js'
export type { DestroyReason, ResourcePool, ResourcePoolEvents, ResourcePoolState, ResourcePoolStats } from './resource-pool.js'
export type { AcquireOptions, CreateBackoffOptions, ResourcePoolOptions } from './options.js'
export type { ResourceLease } from './lease.js'

// Key ring
export { createKeyRing } from './key-ring.js'
export type { KeyLease, KeyRing, KeyRingOptions, KeyRingStats, KeyStats, RetryAfter } from './key-ring.js'

// Errors
export { isResourceError, LeaseReleasedError, ResourceAcquireTimeoutError, ResourceCreateError, ResourceErrorCode, ResourcePoolDrainedError, TooManyWaitersError } from './errors.js'
