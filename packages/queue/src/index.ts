// @poolkit/queue: queues and a dead-letter queue for the slots @poolkit/core defines.

export { createFifoQueue } from './fifo-queue.js'
export { createPriorityQueue } from './priority-queue.js'
export type { PriorityQueueOptions, TaskComparator } from './priority-queue.js'
export { createFairQueue } from './fair-queue.js'
export type { FairQueue, FairQueueOptions } from './fair-queue.js'
export { createDeadLetterQueue } from './dead-letter-queue.js'
export type { DeadLetterQueue, DeadLetterQueueOptions } from './dead-letter-queue.js'
