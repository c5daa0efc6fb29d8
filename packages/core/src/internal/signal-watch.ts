// Watching the AbortSignals callers pass with their tasks. Tasks that share one
// signal (`map`, `runAll`, or a caller's one controller for a batch) share one
// listener, so a signal never gathers a listener per task (Node warns past 10).
import type { TaskRecord } from './task-record.js'

/** A watched signal: its one listener, and the tasks it would cancel. */
interface Watched<I, O> {
  readonly tasks: Set<TaskRecord<I, O>>
  readonly onAbort: () => void
}

/** What a signal's abort does to a task: the pool cancels it. */
export interface Canceller<I, O> {
  cancel(task: TaskRecord<I, O>): void
}

/** The signals a pool's tasks carry. One per pool. */
export class SignalWatch<I, O> {
  private readonly signals = new Map<AbortSignal, Watched<I, O>>()

  constructor(private readonly pool: Canceller<I, O>) {}

  /** Cancels `task` when `signal` aborts, until `unwatch(task)`. */
  watch(task: TaskRecord<I, O>, signal: AbortSignal): void {
    let watched = this.signals.get(signal)
    if (watched === undefined) {
      const tasks = new Set<TaskRecord<I, O>>()
      const onAbort = (): void => {
        this.signals.delete(signal)
        for (const t of [...tasks]) {
          t.onUserAbort = undefined
          this.pool.cancel(t)
        }
      }
      watched = { tasks, onAbort }
      this.signals.set(signal, watched)
      signal.addEventListener('abort', onAbort, { once: true })
    }
    watched.tasks.add(task)
    task.onUserAbort = watched.onAbort
  }

  /** Stops watching a task's signal for it (it settled); the listener goes with the signal's last task. */
  unwatch(task: TaskRecord<I, O>): void {
    const signal = task.userSignal!
    task.onUserAbort = undefined
    const watched = this.signals.get(signal)
    if (watched === undefined) return
    watched.tasks.delete(task)
    if (watched.tasks.size > 0) return
    this.signals.delete(signal)
    signal.removeEventListener('abort', watched.onAbort)
  }
}
