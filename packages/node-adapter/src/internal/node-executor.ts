import type { Executor, SpawnContext, WorkerHandle } from '@poolkit/core'
import type { Channel } from './channel.js'
import { idleTimeoutScaler } from './idle-scaler.js'
import { RemoteWorker } from './remote-worker.js'
import type { ResolvedNodeOptions } from './validate.js'

/** An executor whose workers are remote workers over channels of one kind. */
export function nodeExecutor<I, O>(kind: string, options: ResolvedNodeOptions, open: () => Channel): Executor<I, O> {
  return {
    kind,
    tasksPerWorker: options.concurrentTasksPerWorker + options.prefetch,
    defaultConcurrency: options.defaultConcurrency,
    scaler: options.idleTimeout === Infinity ? undefined : idleTimeoutScaler(options.idleTimeout, options.minWorkers),
    spawn(context: SpawnContext): Promise<WorkerHandle<I, O>> {
      const worker = new RemoteWorker(open(), context, options)
      return worker.ready as Promise<WorkerHandle<any, any>>
    },
  }
}
