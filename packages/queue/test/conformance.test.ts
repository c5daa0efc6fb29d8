import { createDefaultQueue } from '@poolkit/core'
import { runQueueConformance } from '@poolkit/core/testing'
import { describe, it } from 'vitest'
import { createFairQueue, createFifoQueue, createPriorityQueue } from '../src/index.js'

const test = { describe, it }

// Core's default queue runs the same suite here, so every queue a pool can take is held to one standard.
runQueueConformance('createDefaultQueue (core)', () => createDefaultQueue(), test)
runQueueConformance('createFifoQueue', () => createFifoQueue(), test, { order: 'fifo', priorities: false })
runQueueConformance('createPriorityQueue', () => createPriorityQueue(), test, { order: 'priority' })
runQueueConformance('createPriorityQueue with a comparator equivalent to priority order', () => createPriorityQueue({ compare: (a, b) => b.priority - a.priority }), test, { order: 'priority' })
runQueueConformance('createPriorityQueue with a reversed comparator', () => createPriorityQueue({ compare: (a, b) => a.priority - b.priority }), test, {
  order: 'any',
})
runQueueConformance('createFairQueue with several keys', () => createFairQueue(), test, { order: 'any', keys: ['a', 'b', 'c', undefined] })
runQueueConformance('createFairQueue with weights', () => createFairQueue({ weights: { a: 3, b: 0.5 }, defaultWeight: 2 }), test, {
  order: 'any',
  keys: ['a', 'b', 'c'],
})
// A key function that groups the tasks differently from their keys (two of them merged, the tasks without one named).
runQueueConformance('createFairQueue with a key function', () => createFairQueue({ key: (task) => (task.key === 'b' ? 'a' : (task.key ?? 'none')) }), test, {
  order: 'any',
  keys: ['a', 'b', 'c', undefined],
})
// With one key a fair queue is that key's priority queue.
runQueueConformance('createFairQueue with one key', () => createFairQueue(), test, { order: 'priority', keys: ['only'] })
runQueueConformance('createFairQueue with tasks without a key', () => createFairQueue(), test, { order: 'priority', keys: [undefined] })
