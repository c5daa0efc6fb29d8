import { idleScaler } from '@poolkit/core'
import type { Executor } from '@poolkit/core'
import { remoteExecutor } from '@poolkit/core/remote'
import type { Channel } from '@poolkit/core/remote'
import type { ResolvedNodeOptions } from './validate.js'

/** An executor whose workers are reached over channels of one kind (threads or child processes): core's remote executor. */
export function nodeExecutor<I, O>(kind: string, options: ResolvedNodeOptions, open: () => Channel): Executor<I, O> {
  return remoteExecutor<I, O>(kind, { ...options, scaler: options.idleTimeout === Infinity ? undefined : idleScaler({ min: options.minWorkers, idleTimeout: options.idleTimeout }) }, open)
}
