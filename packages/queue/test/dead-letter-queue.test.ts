import { createPool, createVirtualClock, PoolClosedError } from '@poolkit/core'
import type { DeadLetter } from '@poolkit/core'
import { describe, expect, it } from 'vitest'
import { createDeadLetterQueue } from '../src/index.js'
import { task } from './helpers.js'

function letter(input: string, fields: Partial<DeadLetter<string>> = {}): DeadLetter<string> {
  return { task: task(1, 'k'), input, error: new Error(`failed ${input}`), attempts: 3, failedAt: 1000, ...fields }
}

describe('createDeadLetterQueue', () => {
  it('keeps letters with their input, last error, attempt count and time, oldest first', () => {
    const dlq = createDeadLetterQueue<string>({ capacity: 10 })
    const error = new Error('boom')
    dlq.put(letter('a', { error, attempts: 2, failedAt: 42 }))
    dlq.put(letter('b'))
    expect(dlq.size).toBe(2)
    const [a, b] = dlq.list()
    expect(a).toMatchObject({ input: 'a', error, attempts: 2, failedAt: 42 })
    expect(b!.input).toBe('b')
    expect(dlq.size).toBe(2) // list() does not remove
  })

  it("keeps a frozen copy of the task's fields, not the live record", () => {
    const dlq = createDeadLetterQueue({ capacity: 1 })
    const live = { ...task(2, 'tenant', { attempt: 3, startedAt: 7 }), worker: { big: 'handle' } }
    dlq.put({ task: live, input: 1, error: 'x', attempts: 3, failedAt: 9 })
    const kept = dlq.list()[0]!
    expect(kept.task).not.toBe(live)
    expect(kept.task).toEqual({ id: live.id, priority: 2, key: 'tenant', name: undefined, attempt: 3, submittedAt: live.submittedAt, enqueuedAt: live.enqueuedAt, startedAt: 7, waitMs: 0, runMs: 0 })
    expect(Object.isFrozen(kept)).toBe(true)
    expect(Object.isFrozen(kept.task)).toBe(true)
  })

  it('past capacity drops the oldest letter and counts it in dropped', () => {
    const dlq = createDeadLetterQueue<string>({ capacity: 3 })
    for (const input of ['a', 'b', 'c', 'd', 'e']) dlq.put(letter(input))
    expect(dlq.size).toBe(3)
    expect(dlq.capacity).toBe(3)
    expect(dlq.dropped).toBe(2)
    expect(dlq.list().map((l) => l.input)).toEqual(['c', 'd', 'e'])
  })

  it('take(n) removes and returns up to n letters, oldest first', () => {
    const dlq = createDeadLetterQueue<string>({ capacity: 10 })
    for (const input of ['a', 'b', 'c']) dlq.put(letter(input))
    expect(dlq.take(2).map((l) => l.input)).toEqual(['a', 'b'])
    expect(dlq.take(0)).toEqual([])
    expect(dlq.take(5).map((l) => l.input)).toEqual(['c'])
    expect(dlq.take(Infinity)).toEqual([])
    expect(dlq.size).toBe(0)
    expect(() => dlq.take(-1)).toThrow(new TypeError('n must be a non-negative integer or Infinity, got -1'))
  })

  it('clear() removes and returns every letter and keeps the dropped count', () => {
    const dlq = createDeadLetterQueue<string>({ capacity: 2 })
    for (const input of ['a', 'b', 'c']) dlq.put(letter(input))
    expect(dlq.clear().map((l) => l.input)).toEqual(['b', 'c'])
    expect(dlq.size).toBe(0)
    expect(dlq.dropped).toBe(1)
    expect(dlq.list()).toEqual([])
  })

  it('validates its options and arguments, naming the option and the value', () => {
    expect(() => createDeadLetterQueue({ capacity: 0 })).toThrow(new TypeError('options.capacity must be a positive integer, got 0'))
    expect(() => createDeadLetterQueue({ capacity: 2.5 })).toThrow(new TypeError('options.capacity must be a positive integer, got 2.5'))
    expect(() => createDeadLetterQueue({ capacity: Infinity })).toThrow(new TypeError('options.capacity must be a positive integer, got Infinity'))
    expect(() => createDeadLetterQueue({} as never)).toThrow(new TypeError('options.capacity must be a positive integer, got undefined'))
    expect(() => createDeadLetterQueue(undefined as never)).toThrow(new TypeError('options must be an object with a capacity, got undefined'))
    const dlq = createDeadLetterQueue({ capacity: 1 })
    expect(() => dlq.put(null as never)).toThrow(new TypeError('letter must be a DeadLetter object with a task, got null'))
  })

  describe('through createPool', () => {
    it('receives a task after its last attempt, and retry(pool) runs it again and empties the queue', async () => {
      const clock = createVirtualClock()
      let healthy = false
      const dlq = createDeadLetterQueue<string>({ capacity: 100 })
      const pool = createPool({
        handler: async (s: string) => {
          if (!healthy) throw new Error(`down: ${s}`)
          return s.toUpperCase()
        },
        concurrency: 2,
        clock,
        retry: { attempts: 2, backoff: { initialMs: 100, jitter: 0 } },
        deadLetter: dlq,
      })
      const failures = ['a', 'b', 'c'].map((s) => pool.run(s, { key: 'tenant', priority: 2 }).catch((e: Error) => e.message))
      await clock.runAll()
      expect(await Promise.all(failures)).toEqual(['down: a', 'down: b', 'down: c'])
      expect(dlq.size).toBe(3)
      expect(dlq.list()[0]).toMatchObject({ input: 'a', attempts: 2, task: { key: 'tenant', priority: 2, attempt: 2 } })
      expect((dlq.list()[0]!.error as Error).message).toBe('down: a')
      expect(pool.stats().counters.deadLettered).toBe(3)

      healthy = true
      const results = await dlq.retry(pool)
      expect(results.map((r) => (r.ok ? r.value : r.error))).toEqual(['A', 'B', 'C'])
      expect(dlq.size).toBe(0)
      await pool.close()
    })

    it('retry(pool, filter) resubmits only what the filter picks; a task that fails again comes back as a new letter', async () => {
      const dlq = createDeadLetterQueue<string>({ capacity: 100 })
      const pool = createPool({
        handler: async (s: string) => {
          if (s.startsWith('bad')) throw new Error(`still ${s}`)
          return s
        },
        deadLetter: dlq,
      })
      for (const s of ['bad-1', 'good', 'bad-2']) dlq.put(letter(s))
      const results = await dlq.retry(pool, (l) => l.input !== 'bad-2')
      expect(results.map((r) => r.ok)).toEqual([false, true])
      // bad-2 was left alone; bad-1 failed again and the pool dead-lettered it anew.
      expect(dlq.list().map((l) => [l.input, (l.error as Error).message])).toEqual([
        ['bad-2', 'failed bad-2'],
        ['bad-1', 'still bad-1'],
      ])
      await pool.close()
    })

    it('puts a letter back when its task never ran (the pool was closed), so nothing is lost', async () => {
      const dlq = createDeadLetterQueue<string>({ capacity: 100 })
      const pool = createPool({ handler: async (s: string) => s, deadLetter: dlq })
      await pool.close()
      dlq.put(letter('later'))
      const results = await dlq.retry(pool)
      expect(results).toHaveLength(1)
      expect(results[0]!.ok).toBe(false)
      expect(!results[0]!.ok && results[0]!.error).toBeInstanceOf(PoolClosedError)
      expect(dlq.list().map((l) => l.input)).toEqual(['later'])
    })

    it('retry() with nothing to retry resolves to [] and leaves the rest; a throwing filter moves nothing', async () => {
      const dlq = createDeadLetterQueue<string>({ capacity: 10 })
      const pool = createPool({ handler: async (s: string) => s })
      dlq.put(letter('a'))
      await expect(dlq.retry(pool, () => false)).resolves.toEqual([])
      await expect(
        dlq.retry(pool, () => {
          throw new Error('bad filter')
        }),
      ).rejects.toThrow('bad filter')
      expect(dlq.size).toBe(1)
      await expect(dlq.retry({} as never)).rejects.toThrow(new TypeError('pool must be a Pool, got an object'))
      await expect(dlq.retry(pool, 'x' as never)).rejects.toThrow(new TypeError('filter must be a function, got "x"'))
      expect(dlq.size).toBe(1)
      await pool.close()
    })
  })
})
