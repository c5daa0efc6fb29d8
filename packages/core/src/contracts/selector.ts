import type { WorkerInfo } from './observer.js'
import type { TaskInfo } from './task.js'

/**
 * Picks the worker that runs a task, among those with room for one more
 * (`candidates` is never empty). Returning `undefined` sets the task aside
 * until a worker frees up: it keeps its place ahead of the tasks queued after
 * it, and the pool offers those meanwhile, so one task that waits for a
 * particular worker does not hold up the rest. Without a selector the pool
 * picks the least busy worker.
 *
 * Besides `select`, a selector may keep state of its own about the workers (a
 * turn, a weight, the keys a worker served) through three optional hooks. The
 * pool checks once, when it is created, which hooks the selector has and calls
 * only those, so a selector without them costs nothing more. A hook or
 * `select()` that throws is reported on the pool's `error` event and never
 * breaks the pool (a `select()` that throws keeps the task queued). Every
 * `WorkerInfo` a hook receives is the pool's live view of that worker (the same
 * object `select()` gets among its candidates); read it in the hook, and key
 * what you keep by its `id`. `@poolkit/routing` has ready-made selectors.
 * @public
 */
export interface WorkerSelector {
  /**
   * The worker for `task`: one of `candidates` (workers that are ready and have
   * room), or `undefined` to set the task aside until a worker frees up.
   * Called each time a worker has room: first for the tasks set aside, oldest
   * first, then for the task at the head of the queue. A task set aside is
   * asked about again when the workers changed since it was declined (one
   * started or left, or a candidate is new, has become idle, or runs fewer
   * tasks than then: at first one fewer, then a margin that doubles each time
   * the task is declined again), or when the queue holds nothing else; not at
   * every placement of the tasks behind it. While 64 tasks are set aside the pool offers no more from the
   * queue (the queue keeps its order).
   * The pool reports a returned value that is not one of the candidates on its
   * `error` event and sets the task aside.
   *
   * `candidates` is valid for this call only: the pool fills the same array
   * for the next placement, so copy it to keep it. `select()` may submit tasks
   * (they wait in the queue and are placed after this one, so the worker it
   * returns still has room) and may cancel the task it is asked about (it is
   * then never started, whatever it returns).
   */
  select(candidates: readonly WorkerInfo[], task: TaskInfo): WorkerInfo | undefined
  /**
   * A worker became ready: called before it is first among the candidates.
   * Workers that start while the pool is being created are reported too.
   */
  onWorkerStarted?(worker: WorkerInfo): void
  /**
   * A worker that had started left the pool (retired, replaced after a crash,
   * recycled, or closed): it is never a candidate again, and what the selector
   * kept for it can go. A worker that never became ready is not reported.
   */
  onWorkerExited?(worker: WorkerInfo): void
  /**
   * An attempt of `task` ended on `worker`: it completed (`ok` true), failed,
   * timed out or was cancelled (`ok` false). `runMs` is how long it ran, on the
   * pool's clock, as added to the worker's `busyMs`. A timed-out or cancelled
   * attempt is reported when it ends for the pool, which may be before the
   * worker lets go of its slot. An attempt that never started (its worker died
   * first) is not reported: the task goes back to the queue.
   */
  onFinished?(task: TaskInfo, worker: WorkerInfo, runMs: number, ok: boolean): void
  /**
   * Called for a task `select()` declined, with every worker of the pool
   * (ready and starting): an error, when no worker could ever run the task,
   * fails it at once with that error (rejected as `'unplaceable'`); `undefined`
   * keeps it waiting. A worker that is still starting may turn out able to, so
   * a selector should wait while one is. Called again each time the task is
   * declined, so a task left waiting fails once the workers that could run it
   * are gone.
   */
  refuse?(task: TaskInfo, workers: readonly WorkerInfo[]): Error | undefined
}
