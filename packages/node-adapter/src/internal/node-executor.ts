import type { Executor, SpawnContext, WorkerHandle } from '@poolkit/core'
import type { Channel } from './channel.js'
import { idleTimeoutScaler } from './idle-scaler.js'
import { RemoteWorker } from './remote-worker.js'
import type { ResolvedNodeOptions } from './validate.js'

/** An executor whose workers are remote workers over channels of one kind. */
export function nodeExecutor<I, O>(kind: string, options: ResolvedNodeOptions, open: () => Channel): Executor<I, O> {
  // Workers started and not yet exited.
  const live = new Set<RemoteWorker>()
  return {
    kind,
    tasksPerWorker: options.concurrentTasksPerWorker + options.prefetch,
    defaultConcurrency: options.defaultConcurrency,
    scaler: options.idleTimeout === Infinity ? undefined : idleTimeoutScaler(options.idleTimeout, options.minWorkers),
    spawn(context: SpawnContext): Promise<WorkerHandle<I, O>> {
      const worker = new RemoteWorker(open(), context, options)
      live.add(worker)
      void worker.gone.then(() => live.delete(worker))
      return worker.ready as Promise<WorkerHandle<any, any>>
    },
    // The pool terminates the workers it holds; a worker that already left it
    // (stopped to end an aborted task, recycled, unresponsive, failed to start)
    // may still be on its way out. Wait for those too, so nothing is left once
    // close() resolves.
    close(): Promise<void> {
      const leaving = [...live].filter((worker) => worker.leaving).map((worker) => worker.gone)
      return Promise.all(leaving).then(() => undefined)
    },
  }
}
