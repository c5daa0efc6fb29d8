import { afterEach, describe, expect, it, vi } from 'vitest'
import { createPool, isPoolError } from '@poolkit/core'
import { transfer } from '@poolkit/core/worker'
import { webWorkers } from '../src/index.js'
import { expose } from '../src/worker.js'

// Node has no global Worker: this is the environment the fallback is for.
const url = 'https://example.test/worker.js'

describe('webWorkers() where Worker does not exist', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('runs in Node without a global Worker (the premise of these tests)', () => {
    expect(typeof (globalThis as { Worker?: unknown }).Worker).toBe('undefined')
  })

  it('fails at creation without a fallback, with a clear message and a stable code', () => {
    let error: unknown
    try {
      webWorkers(url)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toContain('Worker is not available in this environment')
    expect((error as Error).message).toContain('options.fallback')
    expect((error as { code?: string }).code).toBe('ERR_WEB_WORKERS_UNSUPPORTED')
  })

  it('runs the fallback functions in-process, picked by name, and reports the fallback in stats().executor', async () => {
    const pool = createPool<unknown, unknown>({
      executor: webWorkers(url, { fallback: { add: ({ a, b }: { a: number; b: number }) => a + b, upper: async (s: string) => s.toUpperCase() } }),
    })
    expect(await pool.run({ a: 2, b: 3 }, { name: 'add' })).toBe(5)
    expect(await pool.run('x', { name: 'upper' })).toBe('X')
    expect(pool.stats().executor).toBe('web-workers (in-process fallback)')
    await pool.close()
  })

  it('calls a single fallback function for tasks that name none', async () => {
    const pool = createPool<number, number>({ executor: webWorkers(url, { fallback: (n: number) => n * 2 }) })
    expect(await pool.run(21)).toBe(42)
    await pool.close()
  })

  it('rejects a task naming a function the fallback does not have with a TypeError naming it', async () => {
    const pool = createPool<unknown, unknown>({ executor: webWorkers(url, { fallback: { echo: (x: unknown) => x } }) })
    const error = await pool.run(1, { name: 'missing' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TypeError)
    expect((error as Error).message).toContain('"missing"')
    expect(isPoolError(error)).toBe(false)
    await pool.close()
  })

  it('returns the value of a transfer() result (nothing to move in-process)', async () => {
    const buffer = new ArrayBuffer(8)
    const pool = createPool<unknown, unknown>({ executor: webWorkers(url, { fallback: () => transfer(buffer, [buffer]) }) })
    expect(await pool.run(null)).toBe(buffer)
    await pool.close()
  })

  it('passes the task context (id, attempt, key, signal) to the fallback function', async () => {
    const pool = createPool<unknown, unknown>({
      executor: webWorkers(url, { fallback: (_: unknown, ctx) => ({ attempt: ctx.attempt, key: ctx.key, aborted: ctx.signal.aborted }) }),
    })
    expect(await pool.run(null, { key: 'k' })).toEqual({ attempt: 1, key: 'k', aborted: false })
    await pool.close()
  })
})

describe('expose() outside a Web Worker', () => {
  it('throws, saying it must run in a Web Worker started by webWorkers()', () => {
    expect(() => expose({ echo: (x: unknown) => x })).toThrow(/must be called in a dedicated Web Worker started by webWorkers\(\)/)
  })
})
