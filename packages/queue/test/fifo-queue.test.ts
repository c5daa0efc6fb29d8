import { createPool, Priority } from '@poolkit/core'
import { describe, expect, it } from 'vitest'
import { FifoQueue } from '../src/fifo-queue.js'
import { createFifoQueue } from '../src/index.js'
import { drain, ids, task } from './helpers.js'

describe('createFifoQueue', () => {
  it('returns tasks in arrival order through growth past its initial buffer, and wraps around', () => {
    const q = createFifoQueue()
    const first = Array.from({ length: 10 }, () => task())
    for (const t of first) q.push(t)
    // Move the head forward, then grow while the buffer is wrapped.
    expect(ids([q.shift()!, q.shift()!, q.shift()!])).toEqual(ids(first.slice(0, 3)))
    const more = Array.from({ length: 100 }, () => task())
    for (const t of more) q.push(t)
    expect(q.size).toBe(107)
    expect(ids(drain(q))).toEqual(ids([...first.slice(3), ...more]))
    expect(q.size).toBe(0)
  })

  it('refuses a task whose priority is not Priority.Normal with a TypeError naming the priority and the task', () => {
    const q = createFifoQueue()
    const high = task(Priority.High)
    expect(() => q.push(high)).toThrow(TypeError)
    expect(() => q.push(high)).toThrow(`task.priority must be Priority.Normal (1) in a FIFO queue, got 2 (task ${high.id}); use createPriorityQueue() to order tasks by priority`)
    expect(() => q.push(task(0))).toThrow(TypeError)
    expect(() => q.push(task(1.5))).toThrow(TypeError)
    expect(q.size).toBe(0)
    expect(q.shift()).toBeUndefined()
  })

  it('remove() takes a task from the middle, the front or the back and keeps the order of the rest', () => {
    const q = createFifoQueue()
    const tasks = Array.from({ length: 40 }, () => task())
    for (const t of tasks) q.push(t)
    for (const i of [20, 0, 39, 5, 33]) expect(q.remove(tasks[i]!)).toBe(true)
    expect(q.remove(tasks[20]!)).toBe(false)
    expect(q.size).toBe(35)
    expect(ids(drain(q))).toEqual(ids(tasks.filter((_, i) => ![20, 0, 39, 5, 33].includes(i))))
  })

  it('evict() returns the oldest task, O(1), and undefined when empty', () => {
    const q = createFifoQueue()
    const [a, b] = [task(), task()]
    q.push(a)
    q.push(b)
    expect(q.evict!()).toBe(a)
    expect(q.evict!()).toBe(b)
    expect(q.evict!()).toBeUndefined()
  })

  it('unshift() puts a task back at the front, across the wrap of the buffer, and refuses another priority', () => {
    const q = createFifoQueue()
    const [a, b, c] = [task(), task(), task()]
    q.push(a)
    q.push(b)
    expect(q.shift()).toBe(a)
    q.unshift!(a)
    q.unshift!(c) // the head was at slot 0: wraps to the end of the buffer
    expect(ids(drain(q))).toEqual(ids([c, a, b]))
    expect(() => q.unshift!(task(Priority.Low))).toThrow(TypeError)
  })

  it('keeps working after clear() and after emptying a grown buffer', () => {
    const q = createFifoQueue()
    const burst = Array.from({ length: 1000 }, () => task())
    for (const t of burst) q.push(t)
    expect(drain(q)).toHaveLength(1000)
    const a = task()
    q.push(a)
    expect(q.peek!()).toBe(a)
    q.push(task())
    expect(q.clear()).toHaveLength(2)
    expect(q.size).toBe(0)
    const b = task()
    q.push(b)
    expect(q.shift()).toBe(b)
  })

  it('keeps arrival order across segment boundaries through unshifts and removals near both ends and in the middle', () => {
    const q = createFifoQueue()
    const tasks = Array.from({ length: 5_000 }, () => task())
    for (const t of tasks) q.push(t)
    const front = [q.shift()!, q.shift()!, q.shift()!]
    for (const t of front.slice().reverse()) q.unshift!(t) // back in front, in a segment of their own
    const victims = [0, 1, 2, 15, 16, 47, 48, 1_000, 2_500, 4_000, 4_998, 4_999]
    for (const i of victims) expect(q.remove(tasks[i]!)).toBe(true)
    for (const i of victims) expect(q.remove(tasks[i]!)).toBe(false)
    expect(q.size).toBe(5_000 - victims.length)
    const kept = tasks.filter((_, i) => !victims.includes(i))
    expect(q.peek!()).toBe(kept[0])
    expect(ids(drain(q))).toEqual(ids(kept))
    expect(q.peek!()).toBeUndefined()
  })

  it('with one-slot segments (every push and unshift a new segment) still keeps order and removes anywhere', () => {
    const q = new FifoQueue(1)
    const model: ReturnType<typeof task>[] = []
    for (let round = 0; round < 30; round++) {
      for (let i = 0; i < 5; i++) {
        const t = task()
        q.push(t)
        model.push(t)
      }
      const head = q.shift()!
      expect(head).toBe(model.shift())
      q.unshift(head)
      model.unshift(head)
      const victim = model[(round * 7) % model.length]!
      expect(q.remove(victim)).toBe(true)
      model.splice(model.indexOf(victim), 1)
      if (round % 3 === 0) {
        expect(q.shift()).toBe(model.shift())
      }
      expect(q.size).toBe(model.length)
    }
    expect(ids(q.clear())).toEqual(ids(model))
    expect(q.size).toBe(0)
    expect(q.shift()).toBeUndefined()
  })

  describe('through createPool', () => {
    it('runs queued tasks in submission order', async () => {
      const order: number[] = []
      const pool = createPool({ handler: async (n: number) => void order.push(n), concurrency: 1, queue: createFifoQueue(), paused: true })
      const all = Array.from({ length: 20 }, (_, i) => pool.run(i))
      expect(pool.stats().queued).toBe(20)
      pool.resume()
      await Promise.all(all)
      expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i))
      await pool.close()
    })

    it('rejects a queued task that carries another priority with the TypeError, and runs the others', async () => {
      const pool = createPool({ handler: async (n: number) => n, concurrency: 1, queue: createFifoQueue(), paused: true })
      const normal = pool.run(1)
      const high = pool.run(2, { priority: Priority.High })
      await expect(high).rejects.toThrow(/task.priority must be Priority.Normal \(1\) in a FIFO queue, got 2/)
      pool.resume()
      await expect(normal).resolves.toBe(1)
      await pool.close()
    })

    it('takes a cancelled task out of the queue so it never runs', async () => {
      const ran: number[] = []
      const pool = createPool({ handler: async (n: number) => void ran.push(n), concurrency: 1, queue: createFifoQueue(), paused: true })
      const controller = new AbortController()
      const kept = pool.run(1)
      const cancelled = pool.run(2, { signal: controller.signal })
      controller.abort(new Error('not needed'))
      await expect(cancelled).rejects.toThrow('not needed')
      expect(pool.stats().queued).toBe(1)
      pool.resume()
      await kept
      expect(ran).toEqual([1])
      await pool.close()
    })

    it("supports onQueueFull 'drop-oldest' through evict()", async () => {
      const pool = createPool({ handler: async (n: number) => n, concurrency: 1, queue: createFifoQueue(), paused: true, maxQueue: 2, onQueueFull: 'drop-oldest' })
      const first = pool.run(1)
      const rest = [pool.run(2), pool.run(3)]
      await expect(first).rejects.toMatchObject({ code: 'ERR_POOL_TASK_DROPPED' })
      pool.resume()
      await expect(Promise.all(rest)).resolves.toEqual([2, 3])
      await pool.close()
    })
  })
})
