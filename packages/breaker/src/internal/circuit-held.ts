// The tasks a circuit holds (whenOpen 'hold'): whom to wake, and which one to let through as the next probe.

import type { TaskInfo } from '@poolkit/core'

/** Whether `a` was submitted after `b` (ties: the later id), so it has more of its caller's time left. */
export function isYounger(a: TaskInfo, b: TaskInfo): boolean {
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
