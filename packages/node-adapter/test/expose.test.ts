import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { kinds, openPool, recordWorkers } from './support.js'

describe.each(kinds)('expose() on $name', (kind) => {
  it('runs a single function exposed without a name, with no name in run()', async () => {
    const pool = openPool({ executor: kind.executor('default.worker.mjs'), concurrency: 1 })
    await expect(pool.run(21)).resolves.toEqual({ doubled: 42, format: 'esm' })
  })

  it('runs a CommonJS .cjs worker file', async () => {
    const pool = openPool({ executor: kind.executor('default.worker.cjs'), concurrency: 1 })
    await expect(pool.run(5)).resolves.toEqual({ doubled: 10, format: 'cjs' })
  })

  it('picks one of several named functions with run(input, { name })', async () => {
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs'), concurrency: 1 })
    const [echoed, doubled] = await Promise.all([pool.run({ a: [1, 2] }, { name: 'echo' }), pool.run(4, { name: 'double' })])
    expect(echoed).toEqual({ a: [1, 2] })
    expect(doubled).toBe(8)
  })

  it('awaits async task functions and returns what they resolve to', async () => {
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs'), concurrency: 1 })
    await expect(pool.run(10, { name: 'sleep' })).resolves.toBe(10)
  })

  it('rejects a task that names no function when the worker exposes several without a default', async () => {
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs'), concurrency: 1 })
    const error = await pool.run(1).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TypeError)
    expect((error as Error).message).toMatch(/exposes several functions/)
    await expect(pool.run(1, { name: 'nope' })).rejects.toThrow(/no function "nope"/)
    // The worker still serves named tasks.
    await expect(pool.run(3, { name: 'echo' })).resolves.toBe(3)
  })

  it('passes options.workerData to getWorkerData() in the worker', async () => {
    const workerData = { region: 'eu', limits: [1, 2, 3], nested: { on: true } }
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs', { workerData }), concurrency: 1 })
    await expect(pool.run(null, { name: 'workerData' })).resolves.toEqual(workerData)
  })

  it('returns undefined from getWorkerData() when no workerData was given', async () => {
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs'), concurrency: 1 })
    await expect(pool.run(null, { name: 'workerData' })).resolves.toBeNull()
  })

  describe('setup and teardown', () => {
    let markerDir: string
    afterEach(() => rmSync(markerDir, { recursive: true, force: true }))

    it('finishes setup() before the worker reports ready, so the first task sees it done', async () => {
      markerDir = mkdtempSync(join(tmpdir(), 'poolkit-setup-'))
      const events = recordWorkers()
      const pool = openPool({
        executor: kind.executor('lifecycle.worker.mjs', { workerData: { markerDir } }),
        concurrency: 2,
        observers: [events.observer],
      })
      const startedAt = performance.now()
      await pool.ready()
      // setup() waits 100 ms before the worker can report ready.
      expect(performance.now() - startedAt).toBeGreaterThanOrEqual(90)
      expect(events.started).toHaveLength(2)
      await expect(Promise.all([pool.run(null, { name: 'state' }), pool.run(null, { name: 'state' })])).resolves.toEqual([{ setupDone: true }, { setupDone: true }])
    })

    it('runs teardown() in every worker when the pool closes', async () => {
      markerDir = mkdtempSync(join(tmpdir(), 'poolkit-teardown-'))
      const pool = openPool({
        executor: kind.executor('lifecycle.worker.mjs', { workerData: { markerDir } }),
        concurrency: 2,
      })
      await pool.ready()
      await pool.run(5, { name: 'sleep' })
      expect(readdirSync(markerDir)).toHaveLength(0)
      await pool.close()
      const markers = readdirSync(markerDir)
      expect(markers).toHaveLength(2)
      for (const marker of markers) expect(readFileSync(join(markerDir, marker), 'utf8')).toBe('torn down\n')
    })
  })
})
