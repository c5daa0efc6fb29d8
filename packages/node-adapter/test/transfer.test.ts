import { describe, expect, it } from 'vitest'
import { WorkerExitError } from '@poolkit/core'
import { kinds, openPool, processKind, recordErrors, recordWorkers, rejectionOf, threadKind } from './support.js'

const bytes = (size: number): Uint8Array => Uint8Array.from({ length: size }, (_, i) => i % 251)
const sumOf = (data: Uint8Array): number => data.reduce((a, b) => a + b, 0)

describe('transfer on threads', () => {
  it('moves an ArrayBuffer given in transfer: the main side copy is detached after run()', async () => {
    const pool = openPool({ executor: threadKind.executor('tasks.worker.mjs'), concurrency: 1 })
    const data = bytes(64 * 1024)
    const expectedSum = sumOf(data)
    const buffer = data.buffer
    const result = await pool.run(buffer, { name: 'sum', transfer: [buffer] })
    expect(result).toEqual({ byteLength: 64 * 1024, sum: expectedSum })
    expect(buffer.byteLength).toBe(0)
  })

  it('copies an ArrayBuffer given without transfer: the main side keeps it', async () => {
    const pool = openPool({ executor: threadKind.executor('tasks.worker.mjs'), concurrency: 1 })
    const data = bytes(1024)
    await expect(pool.run(data.buffer, { name: 'sum' })).resolves.toEqual({ byteLength: 1024, sum: sumOf(data) })
    expect(data.buffer.byteLength).toBe(1024)
  })
})

describe('transfer on processes', () => {
  it('accepts a transfer list and copies the buffer: the main side keeps it', async () => {
    const pool = openPool({ executor: processKind.executor('tasks.worker.mjs'), concurrency: 1 })
    const data = bytes(64 * 1024)
    const result = await pool.run(data.buffer, { name: 'sum', transfer: [data.buffer] })
    expect(result).toEqual({ byteLength: 64 * 1024, sum: sumOf(data) })
    expect(data.buffer.byteLength).toBe(64 * 1024)
  })
})

describe.each(kinds)('values crossing to and from $name workers', (kind) => {
  it('delivers a result returned with transfer(value, [value.buffer]) intact', async () => {
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs'), concurrency: 1 })
    const result = (await pool.run(256 * 1024, { name: 'makeBuffer' })) as Uint8Array
    expect(result).toBeInstanceOf(Uint8Array)
    expect(result.byteLength).toBe(256 * 1024)
    expect(Buffer.from(result).equals(Buffer.from(bytes(256 * 1024)))).toBe(true)
  })

  it('fails a task whose input cannot be cloned with an error naming the task, and serves the next task', async () => {
    const events = recordWorkers()
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs'), concurrency: 1, observers: [events.observer] })
    await pool.ready()
    const errors = recordErrors(pool)
    const ids: number[] = []
    const failed = new Promise<unknown>((resolve) => {
      ids.push(pool.submit({ callback: () => 1 }, (result) => resolve(result.ok ? undefined : result.error), { name: 'echo' }))
    })
    const next = pool.run('after', { name: 'echo' })
    const error = (await failed) as Error
    expect(error).toBeInstanceOf(Error)
    expect(error).not.toBeInstanceOf(WorkerExitError)
    expect(error.message).toContain(`Task ${ids[0]}`)
    expect(error.message).toMatch(/could not be (sent|cloned)/)
    await expect(next).resolves.toBe('after')
    // Only the task failed: no worker left, nothing reported on the pool.
    expect(events.exited).toEqual([])
    expect(errors).toEqual([])
  })

  it('fails a task whose result cannot be cloned with a clear error, and keeps the worker', async () => {
    const events = recordWorkers()
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs'), concurrency: 1, observers: [events.observer] })
    await pool.ready()
    const error = await rejectionOf(pool.run(null, { name: 'unclonableResult' }))
    expect(error).not.toBeInstanceOf(WorkerExitError)
    expect(String(error.message)).toMatch(/clone/i)
    await expect(pool.run('next', { name: 'echo' })).resolves.toBe('next')
    expect(events.exited).toEqual([])
  })
})
