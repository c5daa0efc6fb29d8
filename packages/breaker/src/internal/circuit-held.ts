// The tasks a circuit holds (whenOpen 'hold'): whom to wake, and which one to let through as the next probe.
// "Youngest" below means the one with the most of its caller's time left (see isYounger).

import type { TaskInfo } from '@poolkit/core'

/**
 * When the task's deadline passes, on the pool's clock, or `Infinity`. Read
 * where the pool gives it (core's `TaskInfo.expiresAt`, which this package
 * does not require: a task from a core without deadlines reads as having none).
 */
function expiresAt(task: TaskInfo): number {
  const at = (task as { readonly expiresAt?: number | undefined }).expiresAt
  return typeof at === 'number' ? at : Infinity
}

/**
 * Whether `a` has more of its caller's time left than `b`, so it should probe
 * first: a later deadline (none is the latest), else submitted later (ties:
 * the later id), which under equal deadlines or caller timeouts is the same.
 */
export function isYounger(a: TaskInfo, b: TaskInfo): boolean {
  const ea = expiresAt(a)
  const eb = expiresAt(b)
  if (ea !== eb) return ea > eb
  return a.submittedAt > b.submittedAt || (a.submittedAt === b.submittedAt && a.id > b.id)
}

/**
 * The tasks a circuit denied with a hold and that have not been asked about
 * again nor settled since, with the youngest of them at hand.
 *
 * The youngest is kept in a cache that only its own departure invalidates: the
 * pool asks about held tasks oldest first, so while it goes through them the
 * youngest stays put and each ask is O(1); a rescan (O(held)) happens when the
 * youngest leaves, at most once per task.
 */
export class HeldTasks {
  private readonly tasks = new Set<TaskInfo>()
  private cached: TaskInfo | undefined = undefined
  /** Whether `cached` is the youngest of `tasks` (`undefined` when there are none). */
  private valid = true

  get size(): number {
    return this.tasks.size
  }

  /** Adds `task`; false if it was there already. */
  add(task: TaskInfo): boolean {
    if (this.tasks.has(task)) return false
    this.tasks.add(task)
    if (this.valid && (this.cached === undefined || isYounger(task, this.cached))) this.cached = task
    return true
  }

  /** Takes `task` out; false if it was not there. */
  delete(task: TaskInfo): boolean {
    if (!this.tasks.delete(task)) return false
    if (task === this.cached) {
      this.cached = undefined
      this.valid = this.tasks.size === 0
    }
    return true
  }

  /** The youngest task held, if any. */
  youngest(): TaskInfo | undefined {
    if (!this.valid) {
      let best: TaskInfo | undefined
      for (const task of this.tasks) if (best === undefined || isYounger(task, best)) best = task
      this.cached = best
      this.valid = true
    }
    return this.cached
  }

  /** The distinct keys of the tasks held (the pools hold tasks by their own key). */
  taskKeys(): Set<string | undefined> {
    const keys = new Set<string | undefined>()
    for (const task of this.tasks) keys.add(task.key)
    return keys
  }

  clear(): void {
    this.tasks.clear()
    this.cached = undefined
    this.valid = true
  }
}
