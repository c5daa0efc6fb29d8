import type { Executor, SpawnContext, WorkerHandle } from '../contracts/executor.js'
import type { Channel, RemoteExecutorOptions } from './channel.js'
import { RemoteWorker } from './remote-worker.js'

/**
 * The main side of the worker protocol, for adapters: an executor whose workers
 * are reached over channels that `open` makes, one per worker (a thread, a
 * child process, a Web Worker). It batches runs into frames, keeps about
 * `prefetchMs` of work waiting in each worker, matches results, stops a worker
 * to end an aborted task that will not stop by itself, recycles workers by
 * task count or heap, watches heartbeats, and reports how each worker ended.
 * The node adapter's `threads()` and `processes()` and the web adapter's
 * `webWorkers()` are this over their runtime's channel.
 * @public
 */
export function remoteExecutor<I, O>(kind: string, options: RemoteExecutorOptions, open: () => Channel): Executor<I, O> {
  // Workers started and not yet exited.
  const live = new Set<RemoteWorker>()
  return {
    kind,
    // Tasks sent ahead count toward what the pool hands a worker, not toward what runs at once.
    tasksPerWorker: options.concurrentTasksPerWorker + options.prefetch,
    runsPerWorker: options.concurrentTasksPerWorker,
    defaultConcurrency: options.defaultConcurrency,
    scaler: options.scaler,
    spawn(context: SpawnContext): Promise<WorkerHandle<I, O>> {
      const worker = new RemoteWorker(open(), context, options)
      live.add(worker)
      void worker.gone.then(() => live.delete(worker))
      // The worker moves inputs and outputs by structured clone: it holds no type of its own for them.
      return worker.ready as Promise<WorkerHandle> as Promise<WorkerHandle<I, O>>
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
