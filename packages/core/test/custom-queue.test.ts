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
})
