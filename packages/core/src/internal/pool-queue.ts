import type { TaskQueue } from '../contracts/task-queue.js'
import { Priority } from '../priority.js'
import type { TaskRecord } from './task-record.js'

/** Makes the record of a plain task when it leaves the lane (see {@link PoolQueue}). */
export type MakeRecord<I, O> = (id: number, input: I, submittedAt: number, settle: unknown, reject: ((error: unknown) => void) | undefined) => TaskRecord<I, O>

/**
 * The default queue with a lane for plain tasks (issue 21: the same cost per task
 * at a million queued as at ten thousand).
 *
 * A task submitted with no options to a pool that nothing else watches at
 * submission (no breaker or `onSubmitted` observer, the default queue, no
 * `maxQueue`; a selector sees each task only as it leaves the queue, as the
 * record `peek()` makes) needs no record while it waits: its input, submission time and
 * settle path sit in four parallel circular arrays (its id follows from its
 * place), and its {@link TaskRecord} is made when it leaves them. A queued task
 * then costs 32 bytes of slots and no object of its own, so a large backlog
 * gives the garbage collector nothing to copy from one generation to the next.
 *
 * Order is the default queue's: by priority, then first in, first out. Every
 * task in the lane has `Priority.Normal`, and the lane holds the newest tasks of
 * that priority. Pushing a record first moves the lane's tasks into the queue
 * (as records, in order), so a record of priority Normal in the queue is always
 * older than the lane. `shift()` takes the queue's head when its priority is
 * Normal or higher, and the lane's otherwise.
 */
export class PoolQueue<I, O> implements TaskQueue<TaskRecord<I, O>> {
  /** The id of the lane's oldest task; the others follow it one by one (see pushPlain). */
  private headId = 0
  private inputs: (I | undefined)[]
  private settles: unknown[]
  private rejects: (((error: unknown) => void) | undefined)[]
  private times: Float64Array
  private head = 0
  private mask: number
  private count = 0
  /** The lane's oldest task, made into a record by `peek()`; `shift()` hands out this same object. */
  private peeked: TaskRecord<I, O> | undefined = undefined

  constructor(
    private readonly queue: TaskQueue<TaskRecord<I, O>>,
    private readonly make: MakeRecord<I, O>,
  ) {
    const capacity = 16
    this.inputs = new Array<I | undefined>(capacity)
    this.settles = new Array<unknown>(capacity)
    this.rejects = new Array<((error: unknown) => void) | undefined>(capacity)
    this.times = new Float64Array(capacity)
    this.mask = capacity - 1
  }

  get size(): number {
    return this.queue.size + this.count + (this.peeked === undefined ? 0 : 1)
  }

  /** Queues a plain task without a record. `reject` is undefined for a submit() task, whose `settle` is its callback. */
  pushPlain(id: number, input: I, submittedAt: number, settle: unknown, reject: ((error: unknown) => void) | undefined): void {
    // The lane stores no ids: its tasks' ids are consecutive. A task that took an
    // id without being queued (a signal aborted before submission) breaks the run,
    // so the lane moves into the queue first and starts again from this id.
    if (this.count > 0 && id !== this.headId + this.count) this.flush()
    if (this.count === 0) this.headId = id
    if (this.count === this.inputs.length) this.grow()
    const at = (this.head + this.count) & this.mask
    this.inputs[at] = input
    this.settles[at] = settle
    this.rejects[at] = reject
    this.times[at] = submittedAt
    this.count++
  }

  push(task: TaskRecord<I, O>): void {
    if (this.count > 0 || this.peeked !== undefined) this.flush()
    this.queue.push(task)
  }

  unshift(task: TaskRecord<I, O>): void {
    // At the front of its priority: older than everything in the lane. The lane
    // wraps only core's default queue, which has unshift().
    this.queue.unshift!(task)
  }

  shift(): TaskRecord<I, O> | undefined {
    if (this.laneFirst()) {
      const peeked = this.peeked
      if (peeked !== undefined) {
        this.peeked = undefined
        return peeked
      }
      return this.take()
    }
    return this.queue.shift()
  }

  peek(): TaskRecord<I, O> | undefined {
    if (this.laneFirst()) return (this.peeked ??= this.take())
    return this.queue.peek?.()
  }

  remove(task: TaskRecord<I, O>): boolean {
    if (task === this.peeked) {
      this.peeked = undefined
      return true
    }
    return this.queue.remove(task)
  }

  clear(): TaskRecord<I, O>[] {
    this.flush()
    return this.queue.clear()
  }

  evict(): TaskRecord<I, O> | undefined {
    this.flush()
    return this.queue.evict?.()
  }

  /** Whether the next task comes from the lane: it has one, and the queue's head is not Normal or higher. */
  private laneFirst(): boolean {
    if (this.count === 0 && this.peeked === undefined) return false
    if (this.queue.size === 0) return true
    const first = this.queue.peek?.()
    return first === undefined || first.priority < Priority.Normal
  }

  /** Makes the record of the lane's oldest task and takes it out. */
  private take(): TaskRecord<I, O> {
    const at = this.head
    const task = this.make(this.headId++, this.inputs[at] as I, this.times[at]!, this.settles[at], this.rejects[at])
    this.inputs[at] = undefined
    this.settles[at] = undefined
    this.rejects[at] = undefined
    this.head = (at + 1) & this.mask
    this.count--
    return task
  }

  /** Moves every task of the lane into the queue, oldest first, as records. */
  private flush(): void {
    const peeked = this.peeked
    if (peeked !== undefined) {
      this.peeked = undefined
      this.queue.push(peeked)
    }
    while (this.count > 0) this.queue.push(this.take())
  }

  private grow(): void {
    const capacity = this.inputs.length * 2
    const inputs = new Array<I | undefined>(capacity)
    const settles = new Array<unknown>(capacity)
    const rejects = new Array<((error: unknown) => void) | undefined>(capacity)
    const times = new Float64Array(capacity)
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) & this.mask
      inputs[i] = this.inputs[from]
      settles[i] = this.settles[from]
      rejects[i] = this.rejects[from]
      times[i] = this.times[from]!
    }
    this.inputs = inputs
    this.settles = settles
    this.rejects = rejects
    this.times = times
    this.head = 0
    this.mask = capacity - 1
  }
}
