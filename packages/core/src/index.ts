// @poolkit/core: the contracts every poolkit package implements, and the pool.

// The pool
export { createPool } from './pool.js'
export type { Pool } from './pool.js'
export type {
  BackoffOptions,
  CloseOptions,
  CloseReport,
  MapOptions,
  PoolEvents,
  PoolOptions,
  QueueFullPolicy,
  RetryOptions,
  RunAllOptions,
  TaskHandler,
} from './pool-options.js'
export { Priority } from './priority.js'
export { concurrencyFromEnv } from './env.js'
export type { AsyncDisposableLike, DisposableLike } from './disposable.js'

// Defaults for the slots
export { createDefaultQueue } from './default-queue.js'
export { inProcess } from './in-process-executor.js'

// Time
export { systemClock } from './clock.js'
export type { Clock, TimerHandle } from './clock.js'
export { createVirtualClock } from './virtual-clock.js'
export type { VirtualClock } from './virtual-clock.js'

// Errors
export {
  CircuitOpenError,
  ErrorCode,
  isPoolError,
  PoolClosedError,
  PoolError,
  QueueFullError,
  TaskDroppedError,
  TaskTimeoutError,
  WorkerExitError,
  WorkerStartError,
} from './errors.js'

// Contracts
export type {
  RejectReason,
  RunOptions,
  TaskContext,
  TaskFailure,
  TaskInfo,
  TaskOutcome,
  TaskResult,
  TaskSuccess,
  TransferList,
} from './contracts/task.js'
export type { TaskQueue } from './contracts/task-queue.js'
export type { AttemptOutcome, Executor, SpawnContext, TaskDone, WorkerExit, WorkerHandle, WorkerRuntimeStats, WorkerTask } from './contracts/executor.js'
export type { Scaler } from './contracts/scaler.js'
export type { Breaker, BreakerDenial, BreakerRetry } from './contracts/breaker.js'
export type { PoolObserver, PoolView, WorkerExitReason, WorkerInfo } from './contracts/observer.js'
export type { WorkerSelector } from './contracts/selector.js'
export type { DeadLetter, DeadLetterSink } from './contracts/dead-letter.js'
export type { CollectedMetric, CollectedSample, MetricsCollector } from './contracts/metrics-collector.js'
export type { PoolCounters, PoolSnapshot, PoolState, PoolStats, WorkerCounts, WorkerStatus } from './contracts/snapshot.js'

// The worker message protocol, shared by the node and web adapters
export {
  PROTOCOL_VERSION,
  RESULT_FRAME,
  RESULT_SLOTS,
  RUN_FRAME,
  RUN_SLOTS,
  decodeResults,
  decodeRuns,
  isResultFrame,
  isRunFrame,
  isWorkerMessage,
} from './protocol/messages.js'
export type {
  AbortAckMessage,
  AbortMessage,
  CloseMessage,
  ConfigureMessage,
  InitErrorMessage,
  MainMessage,
  MainPost,
  PingMessage,
  PongMessage,
  ReadyMessage,
  ResultFrame,
  ResultMessage,
  RunFrame,
  RunMessage,
  WorkerMessage,
  WorkerPost,
} from './protocol/messages.js'
export { deserializeError, isSerializedError, serializeError } from './protocol/serialize-error.js'
export type { ErrorClass, ErrorClasses, SerializedError, SerializedValue } from './protocol/serialize-error.js'
export { cooperative, runWorker, transfer } from './protocol/worker-runtime.js'
export type {
  TaskFunction,
  TaskFunctions,
  TransferResult,
  WorkerEndpoint,
  WorkerMeasurements,
  WorkerRuntimeOptions,
  WorkerTaskContext,
} from './protocol/worker-runtime.js'
