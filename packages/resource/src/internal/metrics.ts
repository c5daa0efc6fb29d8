import type { CollectedMetric, CollectedSample } from '@poolkit/core'

/** One metric family of a single sample. */
export function single(name: string, help: string, type: 'counter' | 'gauge', labels: Readonly<Record<string, string>>, value: number): CollectedMetric {
  return { name, help, type, samples: [{ labels, value }] }
}

/** One metric family of several samples. */
export function family(name: string, help: string, type: 'counter' | 'gauge', samples: readonly CollectedSample[]): CollectedMetric {
  return { name, help, type, samples }
}

/** Wait times as the gauge family `<prefix>_wait_seconds`, one sample per statistic (`stat="mean"`, `stat="max"`). */
export function waitSeconds(prefix: string, help: string, name: string, meanMs: number, maxMs: number): CollectedMetric {
  return family(`${prefix}_wait_seconds`, help, 'gauge', [
    { labels: { name, stat: 'mean' }, value: meanMs / 1000 },
    { labels: { name, stat: 'max' }, value: maxMs / 1000 },
  ])
}
