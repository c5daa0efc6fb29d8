// @poolkit/core/worker: the worker side of the protocol alone, for worker files.
// A worker starts faster when it does not load the pool it never uses (about
// 6 ms to import this against 20 ms for the whole package, measured on the
// 2-core benchmark machine), and an adapter's `expose()` imports only this.
export { cooperative, runWorker, transfer } from './protocol/worker-runtime.js'
export type { TaskFunction, TaskFunctions, TransferResult, WorkerEndpoint, WorkerMeasurements, WorkerRuntimeOptions, WorkerSetupResult, WorkerTaskContext } from './protocol/worker-runtime.js'
export { deserializeError, isSerializedError, serializeError } from './protocol/serialize-error.js'
export type { ErrorClass, ErrorClasses, SerializedError, SerializedValue } from './protocol/serialize-error.js'
export { PROTOCOL_VERSION, RESULT_FRAME, RESULT_HEADER, RESULT_SLOTS, RUN_FRAME, RUN_SLOTS, decodeResults, decodeRuns, isResultFrame, isRunFrame, isWorkerMessage } from './protocol/messages.js'
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
export type { TransferList } from './contracts/task.js'
