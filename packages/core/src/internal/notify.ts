// What the pool tells the outside: its observers' hooks, its selector's worker
// hooks and its events ('idle', 'drain', 'error', 'close'). User code that throws here never breaks the pool:
// an observer's throw goes to the 'error' event, a listener's as core's Emitter
// rules (to the 'error' listeners, else rethrown in a microtask).
import type { PoolObserver, WorkerExitReason, WorkerInfo } from '../contracts/observer.js'
import type { WorkerSelector } from '../contracts/selector.js'
import type { TaskInfo, TaskOutcome } from '../contracts/task.js'
import type { PoolEvents } from '../pool-options.js'
import { Emitter } from './emitter.js'
import type { Observers } from './resolve-options.js'

/** One per pool: the observers grouped by hook, and the pool's event listeners. */
export class Notifier {
  readonly events = new Emitter<PoolEvents>((error) => [error])
  /** The selector, where it has `onWorkerStarted` (checked once, here). */
  private readonly selectorStarted: WorkerSelector | undefined
  /** The selector, where it has `onWorkerExited`. */
  private readonly selectorExited: WorkerSelector | undefined

  constructor(
    /** The pool's name, the first argument of every hook. */
    private readonly name: string,
    /** The observers that have each hook; the pool checks a hook here before calling it, so an unused one costs one check. */
    readonly hooks: Observers,
    selector: WorkerSelector | undefined,
  ) {
    this.selectorStarted = selector?.onWorkerStarted !== undefined ? selector : undefined
    this.selectorExited = selector?.onWorkerExited !== undefined ? selector : undefined
  }

  // The per-task hooks, each with its own loop: a named call (not `observer[hook]`
  // through a variable key) stays monomorphic, which keeps observers cheap.
  submitted(task: TaskInfo): void {
    for (const observer of this.hooks.onSubmitted!) {
      try {
        observer.onSubmitted!(this.name, task)
      } catch (error) {
        this.error(error)
      }
    }
  }

  started(task: TaskInfo, worker: WorkerInfo): void {
    for (const observer of this.hooks.onStarted!) {
      try {
        observer.onStarted!(this.name, task, worker)
      } catch (error) {
        this.error(error)
      }
    }
  }

  settled(task: TaskInfo, outcome: Exclude<TaskOutcome, 'rejected'>, error: unknown): void {
    const observers = this.hooks.onSettled!
    if (observers.length === 1) {
      // The common case (one metrics object): no loop.
      try {
        observers[0]!.onSettled!(this.name, task, outcome, error)
      } catch (thrown) {
        this.error(thrown)
      }
      return
    }
    for (const observer of observers) {
      try {
        observer.onSettled!(this.name, task, outcome, error)
      } catch (thrown) {
        this.error(thrown)
      }
    }
  }

  /** The rarer hooks, through one loop; the caller checks `hooks[hook]` first. */
  notify(hook: keyof PoolObserver, a: unknown, b?: unknown, c?: unknown, d?: unknown): void {
    for (const observer of this.hooks[hook]!) {
      try {
        ;(observer[hook] as (...args: unknown[]) => void).call(observer, this.name, a, b, c, d)
      } catch (error) {
        this.error(error)
      }
    }
  }

  /** A worker became ready (the worker set reports it): the selector hears first, then the observers. */
  workerStarted(worker: WorkerInfo): void {
    if (this.selectorStarted !== undefined) {
      try {
        this.selectorStarted.onWorkerStarted!(worker)
      } catch (error) {
        this.error(error)
      }
    }
    if (this.hooks.onWorkerStarted !== undefined) this.notify('onWorkerStarted', worker)
  }

  /** A worker left the pool (the worker set reports it). The selector hears only of workers that had started. */
  workerExited(worker: WorkerInfo, reason: WorkerExitReason, error: unknown): void {
    if (this.selectorExited !== undefined && worker.readyAt !== -1) {
      try {
        this.selectorExited.onWorkerExited!(worker)
      } catch (thrown) {
        this.error(thrown)
      }
    }
    if (this.hooks.onWorkerExited !== undefined) this.notify('onWorkerExited', worker, reason, error)
  }

  emit<K extends keyof PoolEvents>(name: K, args: Parameters<PoolEvents[K]>): void {
    this.events.emit(name, args)
  }

  /** Something failed outside any one task: the 'error' event. */
  error(error: unknown): void {
    this.events.emit('error', [error])
  }

  /** Runs user code (a breaker, a scaler, a selector); a throw goes to the 'error' event and gives `undefined`. */
  guard<T>(fn: () => T): T | undefined {
    try {
      return fn()
    } catch (error) {
      this.error(error)
      return undefined
    }
  }
}
