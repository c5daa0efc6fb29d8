import type { WorkerInfo } from '../contracts/observer.js'
import type { TaskInfo } from '../contracts/task.js'
import type { TaskQueue } from '../contracts/task-queue.js'

/** The most tasks a selector's declines keep aside before the queue is left as it is. */
export const ASIDE_LIMIT = 64

/** A task the selector declined, and what the workers were when it last did. */
interface Declined<T> {
  readonly task: T
  /** The worker set's generation then (workers started or gone since: ask again). */
  generation: number
  /** Each candidate's id and running tasks then, flat: ask again once one is new, idle, or less busy by `margin`. */
  seen: number[]
  /**
   * How many fewer running tasks a candidate needs, unless it is idle, to ask
   * again: 1, doubled each time the task is declined again (a task that waits
   * for one worker is not asked at every placement while the others' loads move).
   */
  margin: number
}

/** The largest {@link Declined.margin}. */
const MAX_MARGIN = 2 ** 20

/**
 * The pool's queue when a selector picks the workers: tasks the selector
 * declined (it waits for a particular worker) wait aside, oldest first, so the
 * tasks queued after them are offered meanwhile instead of waiting behind them.
 * The aside tasks count as queued for everything else: `size`, `remove()` (a
 * task cancelled while aside), `clear()` (close), so no path of the pool needs
 * to know about them.
 *
 * While the queue holds other tasks, a declined task is asked about again
 * only when the candidates could give another answer: a worker started or
 * left since, or a candidate is new, has become idle, or runs fewer tasks
 * than it did when the task was last declined, by a margin that starts at one
 * and doubles each time the task is declined again. So a task that waits for a
 * busy worker costs no `select()` call each time another worker frees a slot
 * it already had (a pool asked about 64 aside tasks at every placement ran a
 * no-op burst at a third of its speed), nor at each task another worker
 * finishes (with `affinity()`'s default bound, which only moves a key to an
 * idle worker, about 5 asks a task on a no-op burst through `threads()`).
 * Once the queue has nothing else to offer, every aside task is asked again
 * at each placement.
 */
export class AsideQueue<T extends TaskInfo> implements TaskQueue<T> {
  private aside: Declined<T>[] = []
  /** A task the selector declined at submission, which the next push() sets aside instead of queueing. */
  private pending: Declined<T> | undefined = undefined
  /** Counts the changes to the queue's order made through this object (a task pushed, put back or removed): see take(). */
  private changes = 0
  /** The task take() asks `choose` about, out of the queue meanwhile; it still counts as queued. */
  private asking: T | undefined = undefined

  constructor(private readonly queue: TaskQueue<T>) {}

  /** `task`, about to be pushed, was just declined among `candidates`: it goes aside (while there is room), not to the queue. */
  declined(task: T, candidates: readonly WorkerInfo[], generation: number): void {
    this.pending = this.aside.length < ASIDE_LIMIT ? { task, generation, seen: snapshot(candidates), margin: 1 } : undefined
  }

  get size(): number {
    return this.aside.length + this.queue.size + (this.asking === undefined ? 0 : 1)
  }

  push(task: T): void {
    this.changes++
    const pending = this.pending
    if (pending !== undefined) {
      this.pending = undefined
      if (pending.task === task && this.queue.size === 0) {
        this.aside.push(pending)
        return
      }
    }
    this.queue.push(task)
  }

  unshift(task: T): void {
    this.changes++
    // A retry or a task handed back goes first in the queue; the aside tasks were declined, not queued.
    if (this.queue.unshift !== undefined) this.queue.unshift(task)
    else this.queue.push(task)
  }

  shift(): T | undefined {
    this.changes++
    return this.aside.length > 0 ? this.aside.shift()!.task : this.queue.shift()
  }

  peek(): T | undefined {
    return this.aside.length > 0 ? this.aside[0]!.task : this.queue.peek?.()
  }

  remove(task: T): boolean {
    this.changes++
    if (task === this.asking) {
      this.asking = undefined
      return true
    }
    const at = this.aside.findIndex((entry) => entry.task === task)
    if (at === -1) return this.queue.remove(task)
    this.aside.splice(at, 1)
    return true
  }

  clear(): T[] {
    this.changes++
    const aside = this.aside
    this.aside = []
    const tasks = aside.map((entry) => entry.task)
    // The task being asked about is younger than the aside tasks, older than the queue's.
    if (this.asking !== undefined) {
      tasks.push(this.asking)
      this.asking = undefined
    }
    return tasks.length === 0 ? this.queue.clear() : [...tasks, ...this.queue.clear()]
  }

  evict(): T | undefined {
    this.changes++
    // The queue's own choice; an aside task is older than anything in it, so it goes only once the queue is empty.
    if (this.queue.size > 0) return this.queue.evict?.()
    return this.aside.shift()?.task
  }

  /**
   * The first task `choose` takes among `candidates`, taken out of the queue,
   * in order: the aside tasks, oldest first (each only when the workers
   * changed since it was declined), then the queue's head, again and again.
   * `choose` returns true when it takes the task (to place it, or to drop it:
   * the caller keeps what it decided), false to decline it (the task goes
   * aside, while fewer than {@link ASIDE_LIMIT} are). Undefined when nothing
   * can be taken now. `generation` changes whenever a worker starts or leaves.
   */
  take(candidates: readonly WorkerInfo[], generation: number, choose: (task: T) => boolean): T | undefined {
    const aside = this.aside
    // With nothing else to offer, every aside task is asked again (a selector may decline for reasons of its own).
    const all = this.queue.size === 0
    // The candidates as every task declined in this call saw them: one array, shared (choose cannot change them).
    let seen: number[] | undefined
    // Tasks declined together share their snapshot and mostly their margin: whether they are relieved is
    // worked out once for each run of them (the scan passes every aside task at each placement).
    let lastSeen: number[] | undefined
    let lastMargin = 0
    let lastRelieved = false
    for (let i = 0; i < aside.length; i++) {
      const entry = aside[i]!
      if (!all && entry.generation === generation) {
        if (entry.seen !== lastSeen || entry.margin !== lastMargin) {
          lastSeen = entry.seen
          lastMargin = entry.margin
          lastRelieved = relieved(lastSeen, candidates, lastMargin)
        }
        if (!lastRelieved) continue
      }
      const changes = this.changes
      const taken = choose(entry.task)
      // choose runs user code, which may have cancelled this task (or another set aside).
      const at = changes === this.changes ? i : aside.indexOf(entry)
      if (at === -1) {
        // Gone (the pool settled it): start over, the others may have moved.
        i = -1
        continue
      }
      if (!taken) {
        entry.generation = generation
        entry.seen = seen ??= snapshot(candidates)
        if (entry.margin < MAX_MARGIN) entry.margin *= 2
        i = at
        continue
      }
      aside.splice(at, 1)
      return entry.task
    }
    while (aside.length < ASIDE_LIMIT) {
      // Out of the queue while choose asks about it: choose runs user code, and a task it
      // queues waits behind this one; one it cancels is taken out through remove(), which clears `asking`.
      const task = this.queue.shift()
      if (task === undefined) break
      this.asking = task
      const taken = choose(task)
      // Cancelled meanwhile (the pool settled it): not handed out, nor set aside.
      if (this.asking !== task) continue
      this.asking = undefined
      if (taken) return task
      aside.push({ task, generation, seen: (seen ??= snapshot(candidates)), margin: 1 })
    }
    return undefined
  }
}

/** Each candidate's id and running tasks, flat (shared by the tasks declined among the same candidates: never written after). */
function snapshot(candidates: readonly WorkerInfo[]): number[] {
  const seen = new Array<number>(candidates.length * 2)
  for (let i = 0; i < candidates.length; i++) {
    seen[2 * i] = candidates[i]!.id
    seen[2 * i + 1] = candidates[i]!.running
  }
  return seen
}

/** Whether a candidate is new since `seen`, idle and was not, or runs at least `margin` fewer tasks than it did then. */
function relieved(seen: readonly number[], candidates: readonly WorkerInfo[], margin: number): boolean {
  outer: for (let i = 0; i < candidates.length; i++) {
    const { id, running } = candidates[i]!
    for (let j = 0; j < seen.length; j += 2) {
      if (seen[j] === id) {
        const then = seen[j + 1]!
        if (running < then && (running === 0 || then - running >= margin)) return true
        continue outer
      }
    }
    return true
  }
  return false
}
