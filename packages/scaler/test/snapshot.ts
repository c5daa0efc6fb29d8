import type { PoolSnapshot } from '@poolkit/core'

/** The fields of a snapshot a caller may set; `workers` may be given in part. */
export type SnapshotFields = Partial<Omit<PoolSnapshot, 'workers'>> & { readonly workers?: Partial<PoolSnapshot['workers']> }

/**
 * A whole snapshot from a few fields, the rest those of an idle pool of
 * `targetWorkers` (default 1) ready workers over a 1,000 ms interval: for the
 * policies' unit tests.
 */
export function snapshotOf(fields: SnapshotFields = {}): PoolSnapshot {
  const target = fields.targetWorkers ?? 1
  const busy = fields.workers?.busy ?? 0
  const starting = fields.workers?.starting ?? 0
  const total = fields.workers?.total ?? Math.max(target, busy + starting)
  const workers = { total, busy, starting, idle: fields.workers?.idle ?? Math.max(0, total - busy - starting) }
  return {
    now: 0,
    intervalMs: 1000,
    targetWorkers: target,
    tasksPerWorker: 1,
    queued: 0,
    running: busy,
    arrivalRate: 0,
    completionRate: 0,
    errorRate: 0,
    meanWaitMs: 0,
    meanRunMs: 0,
    utilization: 0,
    eventLoopUtilization: undefined,
    ...fields,
    workers,
  }
}
