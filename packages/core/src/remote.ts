// @poolkit/core/remote: the main side of the worker protocol, for adapters
// (threads, child processes, Web Workers): open a channel per worker, get an executor.
export { remoteExecutor } from './remote/remote-executor.js'
export { resolveRemoteWorkerOptions } from './remote/resolve-options.js'
export type { RemoteWorkerSettings } from './remote/resolve-options.js'
export type { Channel, ChannelExit, RemoteExecutorOptions, RemoteWorkerOptions } from './remote/channel.js'
