import type { CollectedMetric } from '@poolkit/core'
import type { ResourcePoolStats } from '../resource-pool.js'
import { single, waitSeconds } from './metrics.js'

/** A pool's metric families, from its stats, each sample labelled with the pool's name. */
export function poolMetrics(s: ResourcePoolStats): CollectedMetric[] {
  const labels = { name: s.name }
  return [
    single('resource_size', 'Resources alive or being created', 'gauge', labels, s.size),
    single('resource_available', 'Idle resources ready to lend', 'gauge', labels, s.available),
    single('resource_borrowed', 'Resources lent out', 'gauge', labels, s.borrowed),
    single('resource_pending', 'Acquires waiting for a resource', 'gauge', labels, s.pending),
    single('resource_created_total', 'Resources created', 'counter', labels, s.created),
    single('resource_destroyed_total', 'Resources destroyed', 'counter', labels, s.destroyed),
    single('resource_create_errors_total', 'Creates that failed', 'counter', labels, s.createErrors),
    single('resource_acquires_total', 'Acquires, served or not', 'counter', labels, s.acquires),
    single('resource_hits_total', 'Acquires served by an existing resource', 'counter', labels, s.hits),
    single('resource_misses_total', 'Acquires served by a resource created for them', 'counter', labels, s.misses),
    single('resource_rejected_total', 'Acquires that ended without a resource', 'counter', labels, s.rejected),
    single('resource_hit_ratio', 'Hits over served acquires since the start', 'gauge', labels, s.hitRatio),
    waitSeconds('resource', 'Time from acquire to lease since the start: mean and max', s.name, s.meanWaitMs, s.maxWaitMs),
  ]
}
