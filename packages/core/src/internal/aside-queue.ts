import type { TaskInfo } from '../contracts/task.js'
import type { TaskQueue } from '../contracts/task-queue.js'

/** The most tasks a selector's declines keep aside before the queue is left as it is. */
export const ASIDE_LIMIT = 64

/**
 * The pool's queue when a selector picks the workers: tasks the selector
 * declined (it waits for a particular worker) wait aside, oldest first, so the
 * tasks queued after them are offered meanwhile instead of waiting behind them.
 * The aside tasks count as queued for everything else: `size`, `remove()` (a
 * task cancelled while aside), `clear()` (close), so no path of the pool needs
 * to know about them.
 */
export class AsideQueue<T extends TaskInfo> implements TaskQueue<T> {
  private aside: T[] = []

  constructor(private readonly queue: TaskQueue<T>) {}

  get size(): number {
    return this.aside.length + this.queue.size
  }

  /** Tasks set aside now. */
  get asideCount(): number {
    return this.aside.length
  }

  push(task: T): void {
    this.queue.push(task)
  }

  unshift(task: T): void {
    // A retry or a task handed back goes first in the queue; the aside tasks were declined, not queued.
    if (this.queue.unshift !== undefined) this.queue.unshift(task)
    else this.queue.push(task)
  }

  shift(): T | undefined {
    return this.aside.length > 0 ? this.aside.shift() : this.queue.shift()
  }

  peek(): T | undefined {
    return this.aside.length > 0 ? this.aside[0] : this.queue.peek?.()
  }

  remove(task: T): boolean {
    const at = this.aside.indexOf(task)
    if (at === -1) return this.queue.remove(task)
    this.aside.splice(at, 1)
    return true
  }

  clear(): T[] {
    const aside = this.aside
    this.aside = []
    return aside.length === 0 ? this.queue.clear() : [...aside, ...this.queue.clear()]
  }

  evict(): T | undefined {
    // The queue's own choice; an aside task is older than anything in it, so it goes only once the queue is empty.
    if (this.queue.size > 0) return this.queue.evict?.()
    return this.aside.shift()
  }

  /**
   * The first task `choose` places, in order: the aside tasks, oldest first,
   * then the queue's head, again and again. `choose` returns the place, or
   * `undefined` to decline (the task goes aside, while fewer than
   * {@link ASIDE_LIMIT} are), or `null` to drop it (it is taken out, and
   * returned with a `null` place, for the caller to settle). Undefined when
   * nothing can be placed now.
   */
  take<P>(choose: (task: T) => P | undefined | null): [task: T, place: P | null] | undefined {
    const aside = this.aside
    for (let i = 0; i < aside.length; i++) {
      const task = aside[i]!
      const place = choose(task)
      if (place === undefined) continue
      aside.splice(i, 1)
      return [task, place]
    }
    while (this.queue.size > 0 && aside.length < ASIDE_LIMIT) {
      const task = this.queue.peek!()!
      const place = choose(task)
      // choose runs user code, which may have queued a task that now comes first.
      if (this.queue.peek!() === task) this.queue.shift()
      else this.queue.remove(task)
      if (place !== undefined) return [task, place]
      aside.push(task)
    }
    return undefined
  }
}
