import type { KeyMetrics, LatencyBucket, LatencyMetrics, LatencySummary, MetricsSnapshot, PoolMetrics } from '../src/index.js'

/** A latency summary with every field set from `count` and `sum` (ms). */
export function summary(count: number, sum: number, over: Partial<LatencySummary> = {}): LatencySummary {
  return { count, sum, min: 1, max: 250, mean: count === 0 ? 0 : sum / count, p50: 10, p90: 40, p95: 60, p99: 120, p999: 240, ...over }
}

/** Cumulative buckets (le in ms) ending with `Infinity`, the last count being the total. */
export function buckets(pairs: readonly (readonly [le: number, count: number])[]): LatencyBucket[] {
  return pairs.map(([le, count]) => ({ le, count }))
}

/** A latency series whose buckets are `pairs` and whose total is the last pair's count with `sum` ms. */
export function latency(pairs: readonly (readonly [le: number, count: number])[], sum: number, recent: Partial<LatencySummary> = {}): LatencyMetrics {
  const count = pairs.at(-1)?.[1] ?? 0
  return { recent: summary(Math.min(count, 5), 50, recent), total: summary(count, sum), buckets: buckets(pairs) }
}

/** A key's series with distinct counts. */
export function keyMetrics(key: string, over: Partial<KeyMetrics> = {}): KeyMetrics {
  return { key, completed: 11, failed: 12, rejected: 13, cancelled: 14, timedOut: 15, wait: summary(3, 30), run: summary(3, 60), ...over }
}

/**
 * A pool's metrics in which every counter and gauge has its own value, so a
 * test can tell which field each series was read from.
 */
export function poolMetrics(pool: string, over: Partial<PoolMetrics> = {}): PoolMetrics {
  return {
    pool,
    state: 'open',
    tasks: {
      submitted: 100,
      started: 90,
      completed: 70,
      failed: 8,
      rejected: 15,
      rejectedBy: { queueFull: 1, dropped: 2, closed: 3, circuitOpen: 4, noWorkers: 5, unplaceable: 6 },
      cancelled: 6,
      timedOut: 7,
      retried: 9,
      deadLettered: 10,
    },
    workers: {
      total: 6,
      busy: 3,
      idle: 2,
      starting: 1,
      started: 21,
      crashed: 22,
      restarts: 23,
      eventLoopUtilization: [
        { worker: 1, value: 0.25 },
        { worker: 2, value: 0.75 },
      ],
    },
    queueDepth: 31,
    running: 3,
    utilization: 0.5,
    wait: latency(
      [
        [1, 10],
        [5, 40],
        [100, 60],
        [Infinity, 70],
      ],
      1234.5,
    ),
    run: latency(
      [
        [1.1, 2],
        [250, 50],
        [Infinity, 78],
      ],
      98765,
    ),
    throughput: { '1s': 4, '10s': 3.5, '60s': 2.25 },
    errorRate: { '1s': 0, '10s': 0.125, '60s': 0.2 },
    keys: [keyMetrics('tenant-a'), keyMetrics('tenant-b', { completed: 41 })],
    untrackedKeyTasks: 17,
    ...over,
  }
}

/** A snapshot of the given pools. */
export function snapshotOf(...pools: PoolMetrics[]): MetricsSnapshot {
  return { time: 1_700_000_000_000, pools }
}
