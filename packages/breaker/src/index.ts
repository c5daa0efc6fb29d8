// @poolkit/breaker: admission policies for poolkit pools.

// Circuit breaker
export { createCircuitBreaker } from './circuit-breaker.js'
export type { CircuitBreaker, CircuitBreakerOptions, CircuitCounts, CircuitEvent, CircuitState } from './circuit-breaker.js'

// Isolation and rate limits
export { createBulkhead } from './bulkhead.js'
export type { Bulkhead, BulkheadOptions } from './bulkhead.js'
export { createRateLimiter } from './rate-limiter.js'
export type { RateLimit, RateLimiter, RateLimiterOptions } from './rate-limiter.js'
export { readRetryAfter } from './retry-after.js'
export { combine } from './combine.js'
