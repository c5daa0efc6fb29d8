import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { kinds, openPool, recordErrors, recordWorkers } from './support.js'

const countBy = (values: readonly string[]): number[] => [...values.reduce((m, v) => m.set(v, (m.get(v) ?? 0) + 1), new Map<string, number>()).values()]

describe.each(kinds)('recycling $name workers', (kind) => {
  it('replaces a worker after maxTasksPerWorker: 3 tasks, between tasks: 10 tasks on at least 4 workers, all succeed', async () => {
    const events = recordWorkers()
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs', { maxTasksPerWorker: 3 }), concurrency: 1, observers: [events.observer] })
    await pool.ready()
    const errors = recordErrors(pool)
    const results = (await Promise.all(Array.from({ length: 10 }, (_, i) => pool.run(i, { name: 'tagged' })))) as { input: number; worker: string }[]
    expect(results.map((r) => r.input)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    const workers = results.map((r) => r.worker)
    expect(new Set(workers).size).toBeGreaterThanOrEqual(4)
    for (const count of countBy(workers)) expect(count).toBeLessThanOrEqual(3)
    // Recycling is routine: every exit is 'recycled', none a crash, and nothing is reported as an error.
    expect(events.exited.length).toBeGreaterThanOrEqual(3)
    expect(new Set(events.exited.map((e) => e.reason))).toEqual(new Set(['recycled']))
    expect(errors).toEqual([])
    expect(pool.stats().counters).toMatchObject({ completed: 10, failed: 0 })
  })

  it('lets a recycled worker finish its async tasks: none is interrupted', async () => {
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs', { maxTasksPerWorker: 2 }), concurrency: 2 })
    await pool.ready()
    const results = await Promise.all(Array.from({ length: 8 }, () => pool.run(30, { name: 'sleep' })))
    expect(results).toEqual(Array(8).fill(30))
  })

  it('replaces a worker whose heap passed maxHeapBeforeRecycle after the task that pushed it over, and runs the next tasks', async () => {
    const events = recordWorkers()
    const pool = openPool({
      executor: kind.executor('tasks.worker.mjs', { maxHeapBeforeRecycle: 48 }),
      concurrency: 1,
      observers: [events.observer],
    })
    await pool.ready()
    const first = await pool.run(null, { name: 'identity' })
    const small = (await pool.run(1, { name: 'grow' })) as { worker: string; heapUsed: number }
    expect(small.worker).toBe(first)
    expect(small.heapUsed).toBeLessThan(48 * 1024 * 1024)
    expect(events.exited).toEqual([])
    // 64 MB more: over the limit, reported with this result.
    const big = (await pool.run(64, { name: 'grow' })) as { worker: string; heapUsed: number }
    expect(big.worker).toBe(first)
    expect(big.heapUsed).toBeGreaterThan(48 * 1024 * 1024)
    const next = await pool.run(null, { name: 'identity' })
    expect(next).not.toBe(first)
    await expect(pool.run(null, { name: 'identity' })).resolves.toBe(next)
    expect(events.exited.map((e) => e.reason)).toEqual(['recycled'])
  })

  it('runs teardown() once, not twice, in a worker recycled for its heap', async () => {
    const markerDir = mkdtempSync(join(tmpdir(), 'poolkit-recycle-'))
    try {
      const events = recordWorkers()
      const pool = openPool({
        executor: kind.executor('lifecycle.worker.mjs', { workerData: { markerDir }, maxHeapBeforeRecycle: 48 }),
        concurrency: 1,
        observers: [events.observer],
      })
      await pool.ready()
      const recycled = await pool.run(64, { name: 'grow' })
      const replacement = await pool.run(1, { name: 'grow' })
      expect(replacement).not.toBe(recycled)
      expect(events.exited.map((e) => e.reason)).toEqual(['recycled'])
      await pool.close()
      expect(readdirSync(markerDir).sort()).toEqual([recycled, replacement].sort())
      expect(readFileSync(join(markerDir, recycled as string), 'utf8')).toBe('torn down\n')
      expect(readFileSync(join(markerDir, replacement as string), 'utf8')).toBe('torn down\n')
    } finally {
      rmSync(markerDir, { recursive: true, force: true })
    }
  })
})
