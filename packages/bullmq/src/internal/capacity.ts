import type { PoolStats } from '@poolkit/core'

/**
 * The tasks the pool hands its workers at once now: each ready worker's
 * capacity (for the node adapter, one running task plus the tasks it keeps
 * waiting in the worker, which it sizes from how long tasks take), one for each
 * worker still starting or not yet spawned. Scaling changes it, as the scaler
 * moves the worker count.
 */
export function poolCapacity(stats: PoolStats): number {
  let slots = 0
  for (const worker of stats.perWorker) slots += worker.state === 'ready' ? worker.capacity : 1
  const unspawned = stats.targetWorkers - stats.perWorker.length
  if (unspawned > 0) slots += unspawned
  return Math.max(1, slots)
}
