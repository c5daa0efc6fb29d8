import { createVirtualClock } from '@poolkit/core'
import type { CollectedMetric, MetricsCollector } from '@poolkit/core'
import { describe, expect, it } from 'vitest'
import { createResourcePool } from '../src/index.js'
import { factory, watch } from './helpers.js'

/** The value of a family's sample whose labels include `labels`. */
function value(metrics: readonly CollectedMetric[], name: string, labels: Record<string, string>): number | undefined {
  const family = metrics.find((m) => m.name === name)
  return family?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v))?.value
}

describe('stats()', () => {
  it('counts acquires, hits, misses and rejections, with acquires === hits + misses + rejected + pending', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock, max: 2, acquireTimeoutMs: 100, name: 'db' })
    const a = await pool.acquire() // miss
    const b = await pool.acquire() // miss
    a.release()
    await pool.acquire() // hit, kept
    const timedOut = watch(pool.acquire())
    const waiting = watch(pool.acquire({ timeoutMs: 1000 }))
    await clock.advance(100)
    expect(timedOut.error).toBeDefined()
    const s = pool.stats()
    expect(s).toEqual({
      name: 'db',
      state: 'open',
      size: 2,
      available: 0,
      borrowed: 2,
      creating: 0,
      validating: 0,
      pending: 1,
      created: 2,
      destroyed: 0,
      createErrors: 0,
      acquires: 5,
      hits: 1,
      misses: 2,
      rejected: 1,
      hitRatio: 1 / 3,
      meanWaitMs: 0,
      maxWaitMs: 0,
    })
    expect(s.acquires).toBe(s.hits + s.misses + s.rejected + s.pending)
    b.release()
    await clock.flush()
    expect(waiting.value).toBeDefined()
  })

  it('measures mean and max wait on the pool clock, counting acquires served at once as 0', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock, max: 1 })
    const held = await pool.acquire()
    const first = watch(pool.acquire())
    await clock.advance(30)
    held.release()
    await clock.flush()
    const second = watch(pool.acquire())
    await clock.advance(90)
    first.value!.release()
    await clock.flush()
    second.value!.release()
    ;(await pool.acquire()).release()
    // Waits: 0 (the first acquire, a new resource made at once), 30, 90, 0.
    expect(pool.stats()).toMatchObject({ meanWaitMs: 30, maxWaitMs: 90 })
  })

  it('reports 0 as the hit ratio before anything was served', () => {
    const pool = createResourcePool({ ...factory() })
    expect(pool.stats().hitRatio).toBe(0)
  })
})

describe('collect()', () => {
  it('is a MetricsCollector with every family, labelled with the pool name', async () => {
    const clock = createVirtualClock()
    const pool: MetricsCollector = createResourcePool({ ...factory(), clock, max: 2, name: 'openai-clients' })
    const metrics = pool.collect()
    expect(metrics.map((m) => [m.name, m.type])).toEqual([
      ['resource_size', 'gauge'],
      ['resource_available', 'gauge'],
      ['resource_borrowed', 'gauge'],
      ['resource_pending', 'gauge'],
      ['resource_created_total', 'counter'],
      ['resource_destroyed_total', 'counter'],
      ['resource_create_errors_total', 'counter'],
      ['resource_acquires_total', 'counter'],
      ['resource_hits_total', 'counter'],
      ['resource_misses_total', 'counter'],
      ['resource_rejected_total', 'counter'],
      ['resource_hit_ratio', 'gauge'],
      ['resource_wait_seconds', 'gauge'],
    ])
    for (const m of metrics) {
      expect(m.name).toMatch(/^[a-z_][a-z0-9_]*$/)
      expect(m.help.length).toBeGreaterThan(0)
      if (m.type === 'counter') expect(m.name.endsWith('_total')).toBe(true)
      for (const s of m.samples) expect(s.labels?.name).toBe('openai-clients')
    }
  })

  it('reports the figures of stats(), and wait times in seconds', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock, max: 1, name: 'db' })
    const held = await pool.acquire()
    const waiter = watch(pool.acquire())
    await clock.advance(250)
    held.release()
    await clock.flush()
    const pending = watch(pool.acquire())
    const m = pool.collect()
    const labels = { name: 'db' }
    expect(value(m, 'resource_size', labels)).toBe(1)
    expect(value(m, 'resource_available', labels)).toBe(0)
    expect(value(m, 'resource_borrowed', labels)).toBe(1)
    expect(value(m, 'resource_pending', labels)).toBe(1)
    expect(value(m, 'resource_created_total', labels)).toBe(1)
    expect(value(m, 'resource_acquires_total', labels)).toBe(3)
    expect(value(m, 'resource_hits_total', labels)).toBe(1)
    expect(value(m, 'resource_misses_total', labels)).toBe(1)
    expect(value(m, 'resource_hit_ratio', labels)).toBe(0.5)
    expect(value(m, 'resource_wait_seconds', { name: 'db', stat: 'mean' })).toBe(0.125)
    expect(value(m, 'resource_wait_seconds', { name: 'db', stat: 'max' })).toBe(0.25)
    waiter.value!.release()
    await clock.flush()
    expect(pending.value).toBeDefined()
  })

  it('lets several pools be exported side by side: each sample carries its own pool name', async () => {
    const clock = createVirtualClock()
    const a = createResourcePool({ ...factory(), clock, name: 'a' })
    const b = createResourcePool({ ...factory(), clock, name: 'b' })
    ;(await a.acquire()).release()
    const merged = [...a.collect(), ...b.collect()]
    expect(
      value(
        merged.filter((m) => m.samples[0]!.labels!.name === 'a'),
        'resource_created_total',
        { name: 'a' },
      ),
    ).toBe(1)
    expect(
      value(
        merged.filter((m) => m.samples[0]!.labels!.name === 'b'),
        'resource_created_total',
        { name: 'b' },
      ),
    ).toBe(0)
    expect(createResourcePool({ ...factory() }).collect()[0]!.samples[0]!.labels).toEqual({ name: 'default' })
  })
})
