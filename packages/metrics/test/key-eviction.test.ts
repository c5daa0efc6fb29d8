// The per-key table under hostile keys: at most `maxKeys` keys per pool, the
// least recently active one makes room once idle for `keyIdleMs`, and finding
// it takes the same work whatever the number of keys.
import type { TaskInfo } from '@poolkit/core'
import { describe, expect, it } from 'vitest'
import { createMetrics } from '../src/index.js'
import type { Metrics } from '../src/index.js'

/** A completed task of `key` that ran from `at - 1` to `at` (ms). */
const task = (key: string, at: number): TaskInfo => ({
  id: 0,
  priority: 0,
  key,
  name: undefined,
  attempt: 1,
  submittedAt: at - 1,
  enqueuedAt: at - 1,
  startedAt: at - 1,
  endedAt: at,
  waitMs: 0,
  runMs: 1,
})

function keyed(maxKeys: number, keyIdleMs: number) {
  let now = 0
  const metrics = createMetrics({ clock: { now: () => now, setTimeout, clearTimeout }, maxKeys, keyIdleMs })
  return {
    metrics,
    /** A task of `key` ending `after` ms from the last one. */
    settle(key: string, after = 1): void {
      now += after
      metrics.onSettled!('p', task(key, now), 'completed', undefined)
    },
  }
}

const keysOf = (metrics: Metrics): string[] => metrics.snapshot().pools[0]!.keys.map((k) => k.key)

describe('per-key eviction', () => {
  it('evicts the least recently active key once it is idle, not the first one added', () => {
    const { metrics, settle } = keyed(3, 100)
    settle('a')
    settle('b')
    settle('c')
    settle('a') // a, added first, was active last
    settle('d', 100) // b idle 102 ms, c 101, a 100: b goes
    expect(keysOf(metrics)).toEqual(['d', 'a', 'c'])
    settle('e', 1) // c idle 102 ms: it goes, a (101 ms) stays
    expect(keysOf(metrics)).toEqual(['e', 'd', 'a'])
    expect(metrics.snapshot().pools[0]!.untrackedKeyTasks).toBe(0)
  })

  it('counts a task whose key finds every tracked key active within keyIdleMs in untrackedKeyTasks, and tracks it later', () => {
    const { metrics, settle } = keyed(2, 100)
    settle('a')
    settle('b')
    settle('c', 50)
    settle('a', 10)
    expect(keysOf(metrics)).toEqual(['a', 'b'])
    expect(metrics.snapshot().pools[0]!.untrackedKeyTasks).toBe(1)
    settle('c', 60) // b idle 121 ms, a 60
    expect(keysOf(metrics)).toEqual(['c', 'a'])
  })

  it('holds at most maxKeys keys under a flood of unique keys, most recently active first', () => {
    const { metrics, settle } = keyed(100, 1)
    for (let i = 0; i < 5000; i++) settle(`k${i}`, 2)
    const keys = keysOf(metrics)
    expect(keys).toHaveLength(100)
    expect(keys[0]).toBe('k4999')
    expect(keys.at(-1)).toBe('k4900')
  })

  it('finds the key to evict in constant work: a new key visits O(1) entries of a full table of 2,000 keys', () => {
    const { metrics, settle } = keyed(2000, 1)
    for (let i = 0; i < 2000; i++) settle(`old-${i}`)
    // Half of them active again, so the table's order is no longer the order of first use.
    for (let i = 0; i < 2000; i += 2) settle(`old-${i}`)
    // Count the steps taken through any Map iterator while new keys replace old ones.
    const iteratorPrototype = Object.getPrototypeOf(new Map().values()) as { next: (...args: unknown[]) => unknown }
    const next = iteratorPrototype.next
    let steps = 0
    iteratorPrototype.next = function (this: unknown, ...args: unknown[]) {
      steps++
      return next.apply(this, args)
    }
    try {
      for (let i = 0; i < 2000; i++) settle(`new-${i}`, 2)
    } finally {
      iteratorPrototype.next = next
    }
    expect(keysOf(metrics)).toHaveLength(2000)
    expect(keysOf(metrics).filter((k) => k.startsWith('new-'))).toHaveLength(2000)
    // A scan would take 2,000 steps per new key: here one looks at the first key only.
    expect(steps / 2000).toBeLessThan(3)
  })
})
