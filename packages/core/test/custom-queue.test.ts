import { describe, expect, it } from 'vitest'
import { createDefaultQueue, createPool } from '../src/index.js'
import type { TaskInfo, TaskQueue } from '../src/index.js'

describe('a custom TaskQueue', () => {
  it('sees every task, even one a free worker could take at once, so it can refuse or count it', async () => {
    const pushed: number[] = []
    const inner = createDefaultQueue()
    const queue: TaskQueue = {
      get size() {
        return inner.size
      },
      push(task: TaskInfo) {
        if (task.priority !== 1) throw new TypeError(`priority ${task.priority} refused`)
        pushed.push(task.id)
        inner.push(task)
      },
      shift: () => inner.shift(),
      remove: (task) => inner.remove(task),
      clear: () => inner.clear(),
    }
    const pool = createPool({ handler: (x: number) => x * 2, concurrency: 4, queue })
    expect(await pool.run(1)).toBe(2)
    await expect(pool.run(2, { priority: 3 })).rejects.toThrow('priority 3 refused')
    expect(pushed).toEqual([1])
    expect(pool.stats().counters).toMatchObject({ completed: 1, rejected: 1 })
    await pool.close()
  })

  it('accepts a queue with exactly push, shift, remove, size and clear (the methods the issue names)', async () => {
    const items: TaskInfo[] = []
    const queue: TaskQueue = {
      get size() {
        return items.length
      },
      push: (t: TaskInfo) => void items.push(t),
      shift: () => items.shift(),
      remove: (t: TaskInfo) => {
        const i = items.indexOf(t)
        if (i === -1) return false
        items.splice(i, 1)
        return true
      },
      clear: () => items.splice(0),
    } as unknown as TaskQueue
    const pool = createPool({ handler: (n: number) => n * 2, queue })
    expect(await Promise.all([pool.run(1), pool.run(2)])).toEqual([2, 4])
    await pool.close()
  })
})
