// Closed pools: one metrics object that watches pools made and closed for ever
// (a pool per job, per tenant, per request) keeps what a pool still has and
// lets the rest go: a closed pool's series stay for `closedPoolRetentionMs`, at
// most `maxClosedPools` of them, and `removePool()` drops one at once.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createPool, createVirtualClock } from '@poolkit/core'
import type { PoolState, VirtualClock } from '@poolkit/core'
import { describe, expect, it } from 'vitest'
import { createMetrics } from '../src/index.js'
import type { Metrics } from '../src/index.js'

const names = (metrics: Metrics): string[] => metrics.snapshot().pools.map((p) => p.pool)

/** A pool that has run one task, then closed. */
async function shortLived(metrics: Metrics, clock: VirtualClock, name: string): Promise<void> {
  const pool = createPool({ name, clock, handler: async (n: number) => n, observers: [metrics] })
  await pool.run(1, { key: `${name}-key` })
  await pool.close()
}

/** `gc()`, which vitest does not expose: V8 lets a flag set at run time give it to a fresh context. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc')
  ;(runInNewContext('gc') as () => void)()
}

describe('closed pools', () => {
  it("keeps a closed pool's series for closedPoolRetentionMs after it is seen closed, then drops them everywhere", async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock, closedPoolRetentionMs: 30_000 })
    await shortLived(metrics, clock, 'job-1')
    const open = createPool({ name: 'service', clock, handler: async (n: number) => n, observers: [metrics] })
    await open.run(1)

    // Seen closed: the final counts are there for the scrapes of the retention window.
    const final = metrics.snapshot().pools.find((p) => p.pool === 'job-1')
    expect(final).toMatchObject({ state: 'closed', tasks: { completed: 1 } })
    expect(metrics.toPrometheus()).toContain('poolkit_tasks_total{pool="job-1",outcome="completed"} 1')
    await clock.advance(29_999)
    expect(names(metrics)).toEqual(['job-1', 'service'])

    await clock.advance(1)
    expect(names(metrics)).toEqual(['service'])
    expect(metrics.toPrometheus()).not.toContain('job-1')
    expect(() => metrics.histogram('run', 'job-1')).toThrow(/no pool named "job-1"/)
    expect(metrics.histogram('run').count).toBe(1)
    await open.close()
  })

  it('starts the retention when the pool is first seen closed, so a scrape after a quiet spell still reads it', async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock, closedPoolRetentionMs: 1000 })
    // A pool of another kind, whose close shows only in its view's state: no
    // worker exits, nothing sees the close until the next read.
    const pool = createPool({ clock, handler: async (n: number) => n })
    let state: PoolState = 'open'
    metrics.onAttached!('quiet', {
      name: 'quiet',
      get state() {
        return state
      },
      stats: () => pool.stats(),
    })
    metrics.onSettled!(
      'quiet',
      { id: 1, priority: 0, key: undefined, name: undefined, attempt: 1, submittedAt: 0, enqueuedAt: 0, startedAt: 0, endedAt: 1, waitMs: 0, runMs: 1 },
      'completed',
      undefined,
    )
    state = 'closed'
    await clock.advance(60_000)
    expect(metrics.snapshot().pools).toMatchObject([{ pool: 'quiet', state: 'closed', tasks: { completed: 1 } }])
    await clock.advance(1000)
    expect(names(metrics)).toEqual([])
    await pool.close()
  })

  it('3,000 short-lived uniquely named pools, never scraped, hold at most maxClosedPools series, and none after the retention window', async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock })
    for (let i = 0; i < 3000; i++) await shortLived(metrics, clock, `job-${i}`)
    // Each new pool looked for closed ones; the 100 seen closed last are kept.
    const during = names(metrics)
    expect(during.length).toBeLessThanOrEqual(101)
    expect(during.at(-1)).toBe('job-2999')
    await clock.advance(60_000)
    const snapshot = metrics.snapshot()
    expect(snapshot.pools).toEqual([])
    expect(metrics.toPrometheus()).not.toMatch(/pool="/)
    expect(metrics.histogram('run').count).toBe(0)
  })

  it('lets the closed pools themselves be garbage-collected once their series are dropped', async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock, closedPoolRetentionMs: 1000 })
    const refs: WeakRef<object>[] = []
    // In a function of its own, so that no frame of this test holds the last pool.
    const oneJob = async (i: number): Promise<void> => {
      const pool = createPool({ name: `gc-${i}`, clock, handler: async (n: number) => n, observers: [metrics] })
      refs.push(new WeakRef(pool))
      await pool.run(i)
      await pool.close()
    }
    for (let i = 0; i < 50; i++) await oneJob(i)
    expect(names(metrics)).toHaveLength(50)
    await clock.advance(1000)
    expect(names(metrics)).toEqual([])
    // A WeakRef's target is kept until the end of the job that made or read it.
    await new Promise((resolve) => setTimeout(resolve, 0))
    collectGarbage()
    expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0)
  })

  it('finds pools whose close shows only in their view as new pools attach, with no read at all', async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock, maxClosedPools: 10 })
    const stats = createPool({ clock, handler: async (n: number) => n }).stats()
    const views: WeakRef<object>[] = []
    const attach = (i: number): { state: PoolState } => {
      const view = { name: `v-${i}`, state: 'open' as PoolState, stats: () => stats }
      views.push(new WeakRef(view))
      metrics.onAttached!(view.name, view)
      return view
    }
    let previous = attach(0)
    for (let i = 1; i < 1000; i++) {
      const next = attach(i)
      previous.state = 'closed'
      previous = next
    }
    await new Promise((resolve) => setTimeout(resolve, 0))
    collectGarbage()
    // Each attach looks at two pools: the closed ones are found and all but 10 let go.
    expect(views.filter((r) => r.deref() !== undefined).length).toBeLessThanOrEqual(20)
    expect(names(metrics)).toHaveLength(11)
  })

  it('caps closed pools at maxClosedPools, dropping the one seen closed first', async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock, maxClosedPools: 2 })
    for (const name of ['a', 'b', 'c']) {
      await shortLived(metrics, clock, name)
      metrics.snapshot()
      await clock.advance(10)
    }
    expect(names(metrics)).toEqual(['b', 'c'])
  })

  it('removePool() drops a pool at once and says whether there was one', async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock })
    await shortLived(metrics, clock, 'done')
    const open = createPool({ name: 'open', clock, handler: async (n: number) => n, observers: [metrics] })
    await open.run(1)
    expect(metrics.removePool('done')).toBe(true)
    expect(metrics.removePool('done')).toBe(false)
    expect(metrics.removePool('never')).toBe(false)
    expect(names(metrics)).toEqual(['open'])
    // An open pool can be removed too; what it does next starts from zero.
    expect(metrics.removePool('open')).toBe(true)
    expect(names(metrics)).toEqual([])
    await open.run(2)
    expect(metrics.snapshot().pools).toMatchObject([{ pool: 'open', tasks: { completed: 1 } }])
    await open.close()
  })

  it('reset() zeroes the open pools and drops the closed ones', async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock })
    await shortLived(metrics, clock, 'closed-one')
    const open = createPool({ name: 'open-one', clock, handler: async (n: number) => n, observers: [metrics] })
    await open.run(1)
    metrics.reset()
    expect(metrics.snapshot().pools).toMatchObject([{ pool: 'open-one', tasks: { completed: 0, submitted: 0 } }])
    await open.close()
  })

  it('does not bring a dropped pool back when it is called after its close', async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock, closedPoolRetentionMs: 0 })
    const pool = createPool({ name: 'gone', clock, handler: async (n: number) => n, observers: [metrics] })
    await pool.close()
    expect(names(metrics)).toEqual([])
    await expect(pool.run(1)).rejects.toThrow()
    expect(names(metrics)).toEqual([])
  })

  it('counts a closed pool refusing calls while it is retained', async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock })
    const pool = createPool({ name: 'late', clock, handler: async (n: number) => n, observers: [metrics] })
    await pool.close()
    await expect(pool.run(1)).rejects.toThrow()
    expect(metrics.snapshot().pools).toMatchObject([{ pool: 'late', state: 'closed', tasks: { rejectedBy: { closed: 1 } } }])
  })

  it("a new pool taking a closed pool's name continues its series, counters never going back", async () => {
    const clock = createVirtualClock()
    const metrics = createMetrics({ clock })
    await shortLived(metrics, clock, 'worker')
    expect(metrics.snapshot().pools[0]).toMatchObject({ state: 'closed', tasks: { submitted: 1, started: 1, completed: 1 } })
    const again = createPool({ name: 'worker', clock, handler: async (n: number) => n, observers: [metrics] })
    await again.run(2)
    expect(metrics.snapshot().pools).toMatchObject([{ pool: 'worker', state: 'open', tasks: { submitted: 2, started: 2, completed: 2 } }])
    // Open again: no retention runs for it.
    await clock.advance(120_000)
    expect(names(metrics)).toEqual(['worker'])
    await again.close()
  })

  it('refuses bad closedPoolRetentionMs and maxClosedPools with a message naming the option and the value', () => {
    expect(() => createMetrics({ closedPoolRetentionMs: -1 })).toThrow(/options\.closedPoolRetentionMs must be a non-negative number of milliseconds or Infinity, got -1/)
    expect(() => createMetrics({ closedPoolRetentionMs: Number.NaN })).toThrow(/options\.closedPoolRetentionMs .* got NaN/)
    expect(() => createMetrics({ maxClosedPools: 1.5 })).toThrow(/options\.maxClosedPools must be a non-negative integer or Infinity, got 1\.5/)
    expect(() => createMetrics({ closedPoolRetentionMs: Infinity, maxClosedPools: Infinity })).not.toThrow()
  })
})
