import type { Executor, WorkerHandle, WorkerTask } from './contracts/executor.js'
import { describe } from './internal/validate.js'
import type { TaskHandler } from './pool-options.js'

/**
 * The executor behind `createPool({ handler })`: each worker is a slot that
 * calls `handler(input, context)` on the calling thread. For I/O-bound work, and
 * as the fallback where threads or Web Workers are not available.
 *
 * A handler cannot be stopped from outside: on timeout or cancellation the task
 * settles at once and its signal aborts, but its slot stays taken until the
 * handler returns, so the concurrency limit holds for real work. Handlers
 * should honour `context.signal`.
 * @public
 */
export function inProcess<I, O>(handler: TaskHandler<I, O>): Executor<I, O> {
  if (typeof handler !== 'function') {
    throw new TypeError(`options.handler must be a function, got ${describe(handler)}`)
  }
  return {
    kind: 'in-process',
    tasksPerWorker: 1,
    defaultConcurrency: 1,
    spawn({ workerId }) {
      const handle: WorkerHandle<I, O> = {
        id: workerId,
        // The pool awaits the result, so a plain value or a throw is fine here.
        run: handler as unknown as (input: I, task: WorkerTask) => Promise<O>,
        terminate: () => Promise.resolve(),
      }
      return handle
    },
  }
}
