import type { Clock, TimerHandle } from '../clock.js'
import type { TaskResult, TransferList, TaskInfo } from '../contracts/task.js'
import type { WorkerTask } from '../contracts/executor.js'
import type { WorkerSlot } from './worker-slot.js'

// Task states.
export const WAITING_ROOM = 0
export const QUEUED = 1
export const RUNNING = 2
export const DELAYED = 3
export const DONE = 4
/** Submitted, not yet admitted. */
export const NEW = 5
/**
 * Its attempt stopped counting as running (it finished, timed out, or was
 * aborted) and the pool is deciding what comes next: settle it or retry it. A
 * worker reporting on that attempt now (an executor that answers an abort at
 * once, from inside the abort call) is ignored.
 */
export const ENDED = 6

/** A held task's account: what its holds took of its timeout, and its free re-runs. */
export class HoldRecord {
  /**
   * Of the current attempt's `timeoutMs`, the part used before the attempt's
   * current start or hold: time held by the breaker (an open circuit, a rate
   * limit, a 429's pause) and the runs a breaker asked to repeat. Time in the
   * queue does not count.
   */
  spentMs = 0
  /** When its current hold began, on the pool's clock (ms). */
  heldAt = 0
  /** Times a breaker ran it again as the same attempt (a 429): bounded by `retry.maxBreakerRetries`. */
  reruns = 0
}

/**
 * What a task carries besides what it needs while it waits and runs: its rarer
 * options, a breaker's holds and its timer. Made the first time the task needs
 * one of these (at once for a task with a timeout, a name, a transfer list or a
 * signal), so a queued task costs only its {@link TaskRecord} (issue 21: a
 * backlog of a million tasks). It also keeps the attempt figures of a task that
 * has not started yet (the queue wait of a task that never runs) and, for a task
 * made with options, those of its last attempt once it settles.
 */
export class TaskExtra {
  name: string | undefined = undefined
  requires: readonly string[] | undefined = undefined
  labels: Readonly<Record<string, string>> | undefined = undefined
  /** When its deadline passes, on the pool's clock; undefined without one. */
  expiresAt: number | undefined = undefined
  /** `RunOptions.minTimeLeftMs` (0 when not given): attempts start only until `expiresAt` less this (see `startBy`). */
  minTimeLeftMs = 0
  /** Fires at `startBy` (see Deadlines). */
  deadlineTimer: TimerHandle | undefined = undefined
  /** The key a breaker holds it under (Breaker.keyOf, else its key), while held. */
  heldKey: string | undefined = undefined
  /** A task with a deadline waiting to retry: the error of its last attempt (the cause if the deadline passes first). */
  lastError: unknown = undefined
  transfer: TransferList | undefined = undefined
  timeoutMs = Infinity
  userSignal: AbortSignal | undefined = undefined
  onUserAbort: (() => void) | undefined = undefined
  held: HoldRecord | undefined = undefined
  timer: TimerHandle | undefined = undefined
  admitted = false
  /** Made for the task's options, at submission: it and the last attempt's figures stay when the task settles. */
  keep = false
  tries = 0
  startedAt = -1
  endedAt = -1
  waitMs = 0
  runMs = 0
}

/**
 * One task for its whole life, retries included: what observers, queues and
 * breakers see (TaskInfo). Each attempt's handler gets its own AttemptContext,
 * which also holds the task's running figures (tries, times) and its links in
 * the pool's list of running tasks, carried from one attempt to the next: a
 * start makes one object, not two.
 *
 * A queued task holds only its own fields (id, input, priority, key, state,
 * attempt, times and settle path); the rest lives in its current context or in
 * a {@link TaskExtra} made when first needed, read and written through the
 * accessors below, so the pool's code reads as if every field were the
 * record's own. Fields are set in the constructor in a fixed order to keep one
 * hidden class.
 */
export class TaskRecord<I = unknown, O = unknown> implements TaskInfo {
  readonly id: number
  readonly input: I
  readonly priority: number
  readonly key: string | undefined
  readonly submittedAt: number
  enqueuedAt: number
  state = NEW
  /** The current attempt: 1, then 2 for the first retry, and so on. */
  attempt = 1
  /** A run() task's promise: its resolving functions (a submit() task has a callback instead). */
  resolve: ((value: O) => void) | undefined = undefined
  reject: ((error: unknown) => void) | undefined = undefined
  callback: ((result: TaskResult<O>) => void) | undefined = undefined
  /** The current (or last) attempt's context, made when it starts. */
  private run: AttemptContext<I, O> | undefined = undefined
  /** Everything else; undefined while a task with no options waits in the queue. */
  private x: TaskExtra | undefined = undefined

  constructor(id: number, input: I, now: number, priority: number, key: string | undefined) {
    this.id = id
    this.input = input
    this.priority = priority
    this.key = key
    this.submittedAt = now
    this.enqueuedAt = now
  }

  /** The task's extra fields, made on first use. */
  extra(): TaskExtra {
    return (this.x ??= new TaskExtra())
  }

  get name(): string | undefined {
    return this.x?.name
  }
  get requires(): readonly string[] | undefined {
    return this.x?.requires
  }
  get labels(): Readonly<Record<string, string>> | undefined {
    return this.x?.labels
  }
  get expiresAt(): number | undefined {
    return this.x?.expiresAt
  }
  /** The last moment an attempt may start (its deadline less `minTimeLeftMs`); undefined without a deadline. */
  get startBy(): number | undefined {
    const x = this.x
    return x?.expiresAt === undefined ? undefined : x.expiresAt - x.minTimeLeftMs
  }
  get heldKey(): string | undefined {
    return this.x?.heldKey
  }
  get transfer(): TransferList | undefined {
    return this.x?.transfer
  }
  get timeoutMs(): number {
    return this.x === undefined ? Infinity : this.x.timeoutMs
  }
  get userSignal(): AbortSignal | undefined {
    return this.x?.userSignal
  }
  get onUserAbort(): (() => void) | undefined {
    return this.x?.onUserAbort
  }
  set onUserAbort(value: (() => void) | undefined) {
    if (value !== undefined || this.x !== undefined) this.extra().onUserAbort = value
  }
  /** What a breaker's holds cost the task; made the first time one holds it (most tasks never are). */
  get held(): HoldRecord | undefined {
    return this.x?.held
  }
  set held(value: HoldRecord | undefined) {
    if (value !== undefined || this.x !== undefined) this.extra().held = value
  }
  get timer(): TimerHandle | undefined {
    return this.x?.timer
  }
  set timer(value: TimerHandle | undefined) {
    if (value !== undefined || this.x !== undefined) this.extra().timer = value
  }
  /** The breaker admitted it: it hears `onSettled` when the task settles. */
  get admitted(): boolean {
    return this.x !== undefined && this.x.admitted
  }
  set admitted(value: boolean) {
    if (value || this.x !== undefined) this.extra().admitted = value
  }

  /** Attempts that started. */
  get tries(): number {
    return this.run !== undefined ? this.run.tries : this.x !== undefined ? this.x.tries : 0
  }
  set tries(value: number) {
    if (this.run !== undefined) this.run.tries = value
    else this.extra().tries = value
  }
  get startedAt(): number {
    return this.run !== undefined ? this.run.startedAt : this.x !== undefined ? this.x.startedAt : -1
  }
  set startedAt(value: number) {
    if (this.run !== undefined) this.run.startedAt = value
    else this.extra().startedAt = value
  }
  get endedAt(): number {
    return this.run !== undefined ? this.run.endedAt : this.x !== undefined ? this.x.endedAt : -1
  }
  set endedAt(value: number) {
    if (this.run !== undefined) this.run.endedAt = value
    else this.extra().endedAt = value
  }
  get waitMs(): number {
    return this.run !== undefined ? this.run.waitMs : this.x !== undefined ? this.x.waitMs : 0
  }
  set waitMs(value: number) {
    if (this.run !== undefined) this.run.waitMs = value
    else this.extra().waitMs = value
  }
  get runMs(): number {
    return this.run !== undefined ? this.run.runMs : this.x !== undefined ? this.x.runMs : 0
  }
  set runMs(value: number) {
    if (this.run !== undefined) this.run.runMs = value
    else this.extra().runMs = value
  }
  /** The context of the current attempt, made when the attempt starts. */
  get context(): AttemptContext<I, O> | undefined {
    return this.run
  }
  /** Links in the pool's list of running tasks (only a started task is in it). */
  get prev(): TaskRecord<I, O> | undefined {
    return this.run?.prev
  }
  set prev(value: TaskRecord<I, O> | undefined) {
    if (this.run !== undefined) this.run.prev = value
  }
  get next(): TaskRecord<I, O> | undefined {
    return this.run?.next
  }
  set next(value: TaskRecord<I, O> | undefined) {
    if (this.run !== undefined) this.run.next = value
  }
  get linked(): boolean {
    return this.run !== undefined && this.run.linked
  }
  set linked(value: boolean) {
    if (this.run !== undefined) this.run.linked = value
  }

  /** The worker of the current attempt (while it runs, the one running it); undefined before the first start. */
  get worker(): WorkerSlot<I, O> | undefined {
    return this.run?.slot
  }

  /** Aborts the current attempt's signal (creating it only if a handler read it). */
  abort(reason: unknown): void {
    this.run?.abort(reason)
  }

  /**
   * Starts an attempt on `slot`: a fresh context, so a handler of an earlier
   * attempt that still runs keeps its own. The task's running figures move to it.
   */
  beginAttempt(slot: WorkerSlot<I, O>): AttemptContext<I, O> {
    const context = new AttemptContext(this, slot)
    const from = this.run ?? this.x
    if (from !== undefined) {
      context.tries = from.tries
      context.startedAt = from.startedAt
      context.endedAt = from.endedAt
      context.waitMs = from.waitMs
      context.runMs = from.runMs
    }
    return (this.run = context)
  }

  /**
   * The task completed or failed for good: let go of what only its attempts
   * needed. A settled record often sits in the old generation while its last
   * context is young, so keeping the link would carry every context through a
   * scavenge into the old generation, once per task (a million-task backlog
   * drained about 1.6x slower). A task made without options drops its attempt
   * figures (they read as before it started); one with options keeps them in
   * its {@link TaskExtra}. `TaskInfo` tells observers to copy what they keep
   * past a hook.
   */
  release(): void {
    const run = this.run
    if (run === undefined) return
    this.run = undefined
    const x = this.x
    if (x === undefined) return
    if (x.keep) {
      x.tries = run.tries
      x.startedAt = run.startedAt
      x.endedAt = run.endedAt
      x.waitMs = run.waitMs
      x.runMs = run.runMs
    } else this.x = undefined
  }

  /** `JSON.stringify(task)` in an observer gives the documented `TaskInfo` fields, not the links and callbacks (which are circular). */
  toJSON(): TaskInfo {
    return taskInfoOf(this)
  }

  /** `console.log(task)` and `util.inspect` show the same fields. */
  [Symbol.for('nodejs.util.inspect.custom')](): TaskInfo {
    return taskInfoOf(this)
  }
}

/**
 * What a handler receives for one attempt. The signal is made on first read, so
 * a handler that never looks at it costs no AbortController.
 */
export class AttemptContext<I, O> implements WorkerTask {
  readonly id: number
  readonly attempt: number
  readonly name: string | undefined
  readonly key: string | undefined
  readonly transfer: TransferList | undefined
  private controller: AbortController | undefined = undefined
  private aborted = false
  private reason: unknown = undefined
  // One listener is the common case (an executor's); more go in an array.
  private listener: ((reason: unknown, task: WorkerTask) => void) | ((reason: unknown, task: WorkerTask) => void)[] | undefined = undefined
  // The task's running figures while this is its current attempt (see TaskRecord's accessors).
  tries = 0
  startedAt = -1
  endedAt = -1
  waitMs = 0
  runMs = 0
  prev: TaskRecord<I, O> | undefined = undefined
  next: TaskRecord<I, O> | undefined = undefined
  linked = false

  constructor(
    /** The task this attempt belongs to (for the pool's `done` callback). */
    readonly record: TaskRecord<I, O>,
    /** The pool's worker slot running it. */
    readonly slot: WorkerSlot<I, O>,
  ) {
    this.id = record.id
    this.attempt = record.attempt
    this.name = record.name
    this.key = record.key
    this.transfer = record.transfer
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController()
      if (this.aborted) this.controller.abort(this.reason)
    }
    return this.controller.signal
  }

  onAbort(listener: (reason: unknown, task: WorkerTask) => void): void {
    if (this.aborted) listener(this.reason, this)
    else if (this.listener === undefined) this.listener = listener
    else if (Array.isArray(this.listener)) this.listener.push(listener)
    else this.listener = [this.listener, listener]
  }

  abort(reason: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    this.controller?.abort(reason)
    const listener = this.listener
    this.listener = undefined
    if (typeof listener === 'function') listener(reason, this)
    else if (listener !== undefined) for (const l of listener) l(reason, this)
  }
}

// V8 gives a field the representation of the first value stored in it. The
// timing fields start as small integers and later hold fractional clock times,
// so the first start() used to move every record made before it to a new hidden
// class, one by one (a 1,000,000-task backlog drained 3x slower). Storing a
// non-number once, when the module loads, makes them plain tagged fields from the
// start: no migration, and no boxed number while they still hold 0 or -1. The
// same holds for a TaskExtra, which a task with options has from submission.
// An AttemptContext is not warmed: only the running attempts' contexts are alive
// at once, so the first start's migration costs nothing, and its double fields
// then hold their boxes in place (warmed, each store made a new number, and more
// of a 10,000-task batch survived each scavenge: 317 bytes a task against 259).
const warm = new TaskRecord(0, undefined, 0, 1, undefined) as unknown as Record<string, unknown>
warm.enqueuedAt = null
;(warm as { submittedAt: unknown }).submittedAt = null
const warmExtra = new TaskExtra() as unknown as Record<string, unknown>
warmExtra.startedAt = warmExtra.endedAt = warmExtra.waitMs = warmExtra.runMs = null

/** What a task is, as plain data for a report (never the pool's own record, which holds its input, callbacks and links). */
export function taskInfoOf(task: TaskInfo): TaskInfo {
  return {
    id: task.id,
    priority: task.priority,
    key: task.key,
    name: task.name,
    requires: task.requires,
    labels: task.labels,
    expiresAt: task.expiresAt,
    attempt: task.attempt,
    submittedAt: task.submittedAt,
    enqueuedAt: task.enqueuedAt,
    startedAt: task.startedAt,
    endedAt: task.endedAt,
    waitMs: task.waitMs,
    runMs: task.runMs,
  }
}

/** Cancels the task's timer (its wait for room, hold, backoff or attempt timeout), if it has one. */
export function clearTaskTimer<I, O>(clock: Clock, task: TaskRecord<I, O>): void {
  if (task.timer !== undefined) {
    clock.clearTimeout(task.timer)
    task.timer = undefined
  }
}

/** An intrusive doubly linked list of running tasks: O(1) add and remove, no allocation. */
export class TaskList<I, O> {
  head: TaskRecord<I, O> | undefined = undefined

  add(task: TaskRecord<I, O>): void {
    task.linked = true
    task.prev = undefined
    task.next = this.head
    if (this.head !== undefined) this.head.prev = task
    this.head = task
  }

  delete(task: TaskRecord<I, O>): boolean {
    if (!task.linked) return false
    task.linked = false
    if (task.prev !== undefined) task.prev.next = task.next
    else this.head = task.next
    if (task.next !== undefined) task.next.prev = task.prev
    task.prev = task.next = undefined
    return true
  }

  toArray(): TaskRecord<I, O>[] {
    const out: TaskRecord<I, O>[] = []
    for (let t = this.head; t !== undefined; t = t.next) out.push(t)
    return out
  }
}
