// @poolkit/core: the contracts every poolkit package implements, and the pool:
// what pool users and contract implementers need. The worker message protocol is
// at `@poolkit/core/worker` (worker-side code) and `@poolkit/core/remote`
// (executor authors); the option checks at `@poolkit/core/validate`.

// The pool
export { createPool } from './pool.js'
export type { Pool } from './pool.js'
export type { BackoffOptions, CloseOptions, CloseReport, MapOptions, PoolEvents, PoolOptions, QueueFullPolicy, RetryOptions, RunAllOptions, TaskHandler } from './pool-options.js'
export { Priority } from './priority.js'
export { concurrencyFromEnv } from './env.js'
export type { AsyncDisposableLike, DisposableLike } from './disposable.js'

// Defaults for the slots
export { createDefaultQueue } from './default-queue.js'
export { inProcess } from './in-process-executor.js'
export { idleScaler } from './idle-scaler.js'
export type { IdleScalerOptions } from './idle-scaler.js'

// Time
export { systemClock } from './clock.js'
export type { Clock, TimerHandle } from './clock.js'
export { createVirtualClock } from './virtual-clock.js'
export type { VirtualClock } from './virtual-clock.js'
export { combineExecutors } from './combine-executors.js'
export type { ExecutorPart } from './combine-executors.js'

// Errors
export {
  CircuitOpenError,
  DeadlineExceededError,
  ErrorCode,
  isPoolError,
  NoCapableWorkerError,
  PoolClosedError,
  PoolError,
  QueueFullError,
  TaskDroppedError,
  TaskTimeoutError,
  WorkerExitError,
  WorkerStartError,
} from './errors.js'
export type { DeadlineStage } from './errors.js'

// Contracts
export type { KeyFunction, RejectReason, RunOptions, TaskContext, TaskFailure, TaskInfo, TaskOutcome, TaskResult, TaskSuccess, TransferList } from './contracts/task.js'
export type { TaskQueue } from './contracts/task-queue.js'
export type { AttemptOutcome, Executor, SpawnContext, TaskDone, WorkerExit, WorkerHandle, WorkerRuntimeStats, WorkerTask } from './contracts/executor.js'
export type { Scaler } from './contracts/scaler.js'
export type { Breaker, BreakerDenial, BreakerRetry } from './contracts/breaker.js'
export type { PoolObserver, PoolView, WorkerExitReason, WorkerInfo } from './contracts/observer.js'
export type { WorkerSelector } from './contracts/selector.js'
export type { DeadLetter, DeadLetterSink } from './contracts/dead-letter.js'
export type { CollectedMetric, CollectedSample, MetricsCollector } from './contracts/metrics-collector.js'
export type { PoolCounters, PoolSnapshot, PoolState, PoolStats, WorkerCounts, WorkerStatus } from './contracts/snapshot.js'

// Error classes a worker's errors are rebuilt as (an adapter's `errorClasses` option)
export type { ErrorClass, ErrorClasses } from './protocol/serialize-error.js'
