// predictive() against the other selectors on a simulated pool with one slow
// worker (test/simulate-routing.ts): the figures in the README's
// "predictive(): why" section, printed by
//   pnpm vitest run --project routing packages/routing/test/predictive-simulation.test.ts
// A claim about a deterministic simulation on the virtual clock, not a timing.
import { describe, expect, it } from 'vitest'
import type { WorkerSelector } from '@poolkit/core'
import { fairShare, leastBusy, predictive, roundRobin } from '../src/index.js'
import { simulateRouting } from './simulate-routing.js'
import type { RoutingReport } from './simulate-routing.js'

const selectors: readonly (readonly [string, () => WorkerSelector | undefined])[] = [
  ['(none: the pool’s own rule)', () => undefined],
  ['roundRobin()', roundRobin],
  ['leastBusy()', leastBusy],
  ['fairShare()', fairShare],
  ['predictive()', predictive],
]

/** Worker 1 five times slower than workers 2 to 4; Poisson arrivals at 70% of the pool's capacity; exponential service times (mean 10 ms at base speed). */
async function compare(tasksPerWorker: number): Promise<Map<string, RoutingReport>> {
  const reports = new Map<string, RoutingReport>()
  for (const [label, make] of selectors) {
    reports.set(label, await simulateRouting({ selector: make(), slowness: [5, 1, 1, 1], tasksPerWorker, load: 0.7, meanMs: 10, tasks: 20_000, seed: 1 }))
  }
  const rows = [...reports].map(
    ([label, r]) => `| ${label.startsWith('(') ? label : `\`${label}\``} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.mean.toFixed(1)} | ${((100 * r.ran[0]!) / 20_000).toFixed(1)}% |`,
  )
  console.log([`tasks per worker: ${tasksPerWorker}`, '| selector | p50 (ms) | p99 (ms) | mean (ms) | tasks on the slow worker |', '| --- | --- | --- | --- | --- |', ...rows].join('\n'))
  return reports
}

describe('predictive() on a simulated pool of 4 workers, one 5x slower, at 70% load', () => {
  it('beats roundRobin() and leastBusy() on p99 where workers hold tasks ahead (4 each)', async () => {
    const reports = await compare(4)
    const p99 = (label: string): number => reports.get(label)!.p99
    expect(p99('predictive()')).toBeLessThan(p99('roundRobin()') / 2)
    expect(p99('predictive()')).toBeLessThan(p99('leastBusy()'))
  })

  it('beats roundRobin() on p99 with one task per worker, where it picks among idle workers only', async () => {
    const reports = await compare(1)
    expect(reports.get('predictive()')!.p99).toBeLessThan(reports.get('roundRobin()')!.p99)
  })
})
