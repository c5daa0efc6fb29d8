import { createPool } from '@poolkit/core'
import type { DeadLetter, DeadLetterSink, KeyFunction, PoolOptions, TaskInfo, TaskQueue, TaskResult } from '@poolkit/core'
import { describe, expectTypeOf, it } from 'vitest'
import { createDeadLetterQueue, createFairQueue, createFifoQueue, createPriorityQueue } from '../src/index.js'
import type { FairQueueOptions } from '../src/index.js'

describe('types', () => {
  it('every queue fits the pool’s queue option', () => {
    expectTypeOf(createFifoQueue()).toEqualTypeOf<TaskQueue<TaskInfo>>()
    expectTypeOf(createPriorityQueue()).toMatchTypeOf<NonNullable<PoolOptions<string, number>['queue']>>()
    expectTypeOf(createFairQueue()).toMatchTypeOf<NonNullable<PoolOptions<string, number>['queue']>>()
    expectTypeOf(createFairQueue().activeKeys).toBeNumber()
    createPool({ handler: async (s: string) => s.length, queue: createFairQueue({ weights: new Map([['a', 2]]) }) })
  })

  it("the fair queue's key option is core's KeyFunction: it sees a TaskInfo and returns a string or undefined", () => {
    expectTypeOf<NonNullable<FairQueueOptions['key']>>().toEqualTypeOf<KeyFunction>()
    createFairQueue({ key: (task) => task.labels?.tenant })
    // @ts-expect-error a key is a string, not a number
    createFairQueue({ key: (task: TaskInfo) => task.id })
  })

  it('a comparator sees the task type the queue is made for', () => {
    interface Job extends TaskInfo {
      readonly deadline: number
    }
    const q = createPriorityQueue<Job>({ compare: (a, b) => a.deadline - b.deadline })
    expectTypeOf(q.shift()).toEqualTypeOf<Job | undefined>()
    // @ts-expect-error a comparator over another task type does not fit
    createPriorityQueue<Job>({ compare: (a: { other: number }, b: { other: number }) => a.other - b.other })
  })

  it('a dead-letter queue is typed by its input and fits the pool’s deadLetter option', async () => {
    const dlq = createDeadLetterQueue<string>({ capacity: 10 })
    expectTypeOf(dlq).toMatchTypeOf<DeadLetterSink<string>>()
    expectTypeOf(dlq.list()).toEqualTypeOf<DeadLetter<string>[]>()
    const pool = createPool({ handler: async (s: string) => s.length, deadLetter: dlq })
    expectTypeOf(await dlq.retry(pool)).toEqualTypeOf<TaskResult<number>[]>()
    void dlq.retry(pool, (letter) => {
      // compiled, never run
      expectTypeOf(letter.input).toBeString()
      return true
    })
    // @ts-expect-error capacity is required
    createDeadLetterQueue({})
  })
})
