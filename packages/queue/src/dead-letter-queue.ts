import type { DeadLetter, DeadLetterSink, Pool, RunOptions, TaskInfo, TaskResult } from '@poolkit/core'
import { RingBuffer } from './internal/ring-buffer.js'
import { describe, nonNegativeIntegerOrInfinity, positiveInteger } from './internal/validate.js'

/**
 * Options of {@link createDeadLetterQueue}.
 * @public
 */
export interface DeadLetterQueueOptions {
  /**
   * Letters kept at most. Past it the oldest letter is dropped to make room, and
   * counted in `dropped`. There is no default: choose what a backlog of failures
   * may cost in memory (each letter holds its input and error).
   */
  capacity: number
}

/**
 * Keeps tasks that failed their last attempt, with their input, last error,
 * attempt count and time, to inspect them or run them again. Pass it as the
 * pool's `deadLetter` option.
 * @public
 */
export interface DeadLetterQueue<I = unknown> extends DeadLetterSink<I> {
  /** Letters held. */
  readonly size: number
  /** The most letters held at once, from the options. */
  readonly capacity: number
  /** Letters dropped so far because the queue was at capacity (the oldest go first). */
  readonly dropped: number
  /**
   * Stores a letter; the pool calls it after a task's last attempt fails. At
   * capacity the oldest letter is dropped first. The letter's `task` is kept as a
   * frozen copy of its fields, not the pool's live record.
   */
  put(letter: DeadLetter<I>): void
  /** The letters held, oldest first, without removing them. */
  list(): DeadLetter<I>[]
  /**
   * Removes and returns up to `n` letters, oldest first.
   * @param n - How many: a non-negative integer, or `Infinity` for all.
   */
  take(n: number): DeadLetter<I>[]
  /**
   * Removes the letters that `filter` accepts (all by default) and submits each
   * input to `pool` again, with the task's `priority`, `key` and `name` (its
   * timeout is the pool's `taskTimeout`). Resolves when all of them have
   * settled, to one result per letter in the order they were held.
   *
   * A task that fails again is dead-lettered by `pool` to its own sink (this
   * queue, when it is the pool's `deadLetter`). A letter whose task never ran
   * (the pool was closed or full) is put back here, so nothing is lost.
   * @param pool - The pool to run them on: the one they failed in, or another.
   * @param filter - Picks the letters to retry; the others stay.
   * @returns The results, in the order the letters were held.
   */
  retry<O>(pool: Pool<I, O>, filter?: (letter: DeadLetter<I>) => boolean): Promise<TaskResult<O>[]>
  /** Removes every letter and returns them, oldest first. `dropped` keeps its count. */
  clear(): DeadLetter<I>[]
}

/**
 * Creates a bounded dead-letter queue: a `DeadLetterSink` that keeps what it is
 * given, up to `capacity` letters, dropping (and counting) the oldest past that.
 * `put`, `take` per letter and `size` are O(1); `list`, `retry` and `clear` are
 * O(n).
 * @param options - `capacity`, required.
 * @returns A {@link DeadLetterQueue} to pass as the pool's `deadLetter` option.
 * @example
 * ```ts
 * import { createPool } from '@poolkit/core'
 * import { createDeadLetterQueue } from '@poolkit/queue'
 *
 * const deadLetters = createDeadLetterQueue<string>({ capacity: 10_000 })
 * const pool = createPool({ handler: upload, retry: { attempts: 3 }, deadLetter: deadLetters })
 *
 * // Later, once the provider is back: run the timed-out ones again.
 * const results = await deadLetters.retry(pool, (letter) => letter.error instanceof TaskTimeoutError)
 * console.log(results.filter((r) => r.ok).length, 'recovered;', deadLetters.size, 'still dead')
 * ```
 * @public
 */
export function createDeadLetterQueue<I = unknown>(options: DeadLetterQueueOptions): DeadLetterQueue<I> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`options must be an object with a capacity, got ${describe(options)}`)
  }
  return new DeadLetterQueueImpl<I>(positiveInteger('options.capacity', options.capacity))
}

class DeadLetterQueueImpl<I> implements DeadLetterQueue<I> {
  dropped = 0
  private readonly letters = new RingBuffer<DeadLetter<I>>()

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.letters.length
  }

  put(letter: DeadLetter<I>): void {
    if (typeof letter !== 'object' || letter === null || typeof letter.task !== 'object' || letter.task === null) {
      throw new TypeError(`letter must be a DeadLetter object with a task, got ${describe(letter)}`)
    }
    this.store(
      Object.freeze({
        task: snapshot(letter.task),
        input: letter.input,
        error: letter.error,
        attempts: letter.attempts,
        failedAt: letter.failedAt,
      }),
    )
  }

  list(): DeadLetter<I>[] {
    return this.letters.toArray()
  }

  take(n: number): DeadLetter<I>[] {
    const count = Math.min(nonNegativeIntegerOrInfinity('n', n), this.letters.length)
    const out = new Array<DeadLetter<I>>(count)
    for (let i = 0; i < count; i++) out[i] = this.letters.shift()!
    return out
  }

  retry<O>(pool: Pool<I, O>, filter?: (letter: DeadLetter<I>) => boolean): Promise<TaskResult<O>[]> {
    if (typeof pool !== 'object' || pool === null || typeof pool.submit !== 'function') {
      return Promise.reject(new TypeError(`pool must be a Pool, got ${describe(pool)}`))
    }
    if (filter !== undefined && typeof filter !== 'function') {
      return Promise.reject(new TypeError(`filter must be a function, got ${describe(filter)}`))
    }
    let picked: DeadLetter<I>[]
    try {
      // The filter runs on every letter before any is removed: if it throws, nothing moves.
      const chosen = filter === undefined ? undefined : this.letters.toArray().map((letter) => filter(letter) === true)
      picked = this.letters.extract((_, i) => chosen === undefined || chosen[i] === true)
    } catch (error) {
      return Promise.reject(error)
    }
    if (picked.length === 0) return Promise.resolve([])
    return new Promise((resolve, reject) => {
      const results = new Array<TaskResult<O>>(picked.length)
      let pending = picked.length
      for (let i = 0; i < picked.length; i++) {
        const letter = picked[i]!
        const options: RunOptions = { priority: letter.task.priority, key: letter.task.key, name: letter.task.name }
        try {
          pool.submit(
            letter.input,
            (result) => {
              // Never ran (closed, full, refused): it is still a dead letter.
              if (!result.ok && result.attempts === 0) this.store(letter)
              results[i] = result
              if (--pending === 0) resolve(results)
            },
            options,
          )
        } catch (error) {
          // submit() does not throw for a real pool; if it did, keep what was not submitted.
          for (let j = i; j < picked.length; j++) this.store(picked[j]!)
          reject(error)
          return
        }
      }
    })
  }

  clear(): DeadLetter<I>[] {
    return this.take(Infinity)
  }

  private store(letter: DeadLetter<I>): void {
    if (this.letters.length >= this.capacity) {
      this.letters.shift()
      this.dropped++
    }
    this.letters.push(letter)
  }
}

/** The task's fields at the time it failed, detached from the pool's record (which holds workers, timers and callbacks). */
function snapshot(task: TaskInfo): TaskInfo {
  return Object.freeze({
    id: task.id,
    priority: task.priority,
    key: task.key,
    name: task.name,
    attempt: task.attempt,
    submittedAt: task.submittedAt,
    enqueuedAt: task.enqueuedAt,
    startedAt: task.startedAt,
    waitMs: task.waitMs,
    runMs: task.runMs,
  })
}
