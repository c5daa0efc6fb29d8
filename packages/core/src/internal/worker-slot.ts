import type { WorkerHandle } from '../contracts/executor.js'
import type { WorkerInfo } from '../contracts/observer.js'

export const STARTING = 0
export const READY = 1
export const EXITED = 2

const NONE: readonly string[] = Object.freeze([])

/** The pool's record of one worker. */
export class WorkerSlot<I = unknown, O = unknown> implements WorkerInfo {
  readonly id: number
  /** Tasks the pool may hand it at once; the executor may lower it (SpawnContext.setCapacity). */
  capacity: number
  running = 0
  finished = 0
  /** Run time of the attempts that ended on it (ms): one addition per attempt, in the pool's endAttempt(). */
  busyMs = 0
  readyAt = -1
  /** From the handle (WorkerHandle.capabilities), set when it becomes ready. */
  capabilities: readonly string[] = NONE
  /** When it last became idle (ready, or its last task ended), on the pool's clock; -1 while it runs a task. */
  idleSince = -1
  state = STARTING
  handle: WorkerHandle<I, O> | undefined = undefined
  /** While an async spawn is pending: settles once the worker is ready (or stopped, if it was retired meanwhile). */
  spawning: Promise<void> | undefined = undefined

  constructor(id: number, capacity: number) {
    this.id = id
    this.capacity = capacity
  }

  /** Read live from the executor's handle at each access (selectors and observers only; never on the pool's hot path). */
  get eventLoopUtilization(): number | undefined {
    return this.state === READY ? this.handle?.stats?.().eventLoopUtilization : undefined
  }

  /** `JSON.stringify(worker)` in an observer or selector gives the documented `WorkerInfo` fields, not the handle. */
  toJSON(): WorkerInfo {
    return workerInfoOf(this)
  }

  /** `console.log(worker)` and `util.inspect` show the same fields. */
  [Symbol.for('nodejs.util.inspect.custom')](): WorkerInfo {
    return workerInfoOf(this)
  }
}

/** What a worker is, as plain data (never the pool's own slot, which holds the executor's handle). */
export function workerInfoOf(worker: WorkerInfo): WorkerInfo {
  return {
    id: worker.id,
    running: worker.running,
    capacity: worker.capacity,
    finished: worker.finished,
    readyAt: worker.readyAt,
    busyMs: worker.busyMs,
    eventLoopUtilization: worker.eventLoopUtilization,
    capabilities: worker.capabilities,
  }
}

/** Task slots free on a ready worker: none while it runs more than a lowered capacity. */
export function room(slot: WorkerSlot<unknown, unknown>): number {
  return slot.running < slot.capacity ? slot.capacity - slot.running : 0
}
