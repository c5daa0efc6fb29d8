// @poolkit/bullmq: a poolkit pool as the execution engine behind a BullMQ queue.

// Consumer: a BullMQ worker that runs jobs on a pool
export { consume } from './consume.js'
export type { Consumer, ConsumeOptions, ConsumerCloseOptions, ConsumerCloseReport, ConsumerState, RetryOwner } from './consume.js'
export type { JobEnvelope } from './job-envelope.js'

// Producer: a pool whose tasks run on the consumers
export { createRemotePool } from './remote-pool.js'
export type { RemotePool, RemotePoolOptions, RemoteRunOptions } from './remote-pool.js'

// Job options
export { fromJobPriority, toJobOptions, toJobPriority } from './job-options.js'
export type { JobPoolOptions, JobRunOptions } from './job-options.js'

// Metrics
export { createQueueMetrics } from './queue-metrics.js'
export type { QueueMetrics, QueueMetricsOptions, QueueMetricsState } from './queue-metrics.js'

// Errors
export { BullmqConnectionError, BullmqErrorCode, RemoteJobError } from './errors.js'
