import { describe, expect, it } from 'vitest'
import { createDefaultQueue } from '../src/index.js'
import type { TaskInfo } from '../src/index.js'

let next = 1
const task = (priority: number): TaskInfo => ({
  id: next++,
  priority,
  key: undefined,
  name: undefined,
  attempt: 1,
  submittedAt: 0,
  enqueuedAt: next,
  startedAt: -1,
  waitMs: 0,
  runMs: 0,
})

describe('createDefaultQueue', () => {
  it('puts a task back with unshift() ahead of the others of its priority, behind higher priorities', () => {
    const q = createDefaultQueue()
    const [a, b, c, high] = [task(1), task(1), task(1), task(2)]
    q.push(a)
    q.push(b)
    q.push(high)
    expect(q.shift()).toBe(high)
    expect(q.shift()).toBe(a)
    q.push(c)
    q.unshift!(a)
    expect(q.size).toBe(3)
    expect([q.shift(), q.shift(), q.shift()]).toEqual([a, b, c])
  })

  it('unshift() into an empty queue or a new priority level makes that task next', () => {
    const q = createDefaultQueue()
    const low = task(0)
    q.unshift!(low)
    const top = task(5)
    q.unshift!(top)
    expect(q.peek!()).toBe(top)
    expect(q.clear()).toEqual([top, low])
  })
})
