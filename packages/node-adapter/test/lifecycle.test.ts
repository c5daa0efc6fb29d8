import { describe, expect, it, vi } from 'vitest'
import { PoolClosedError } from '@poolkit/core'
import { runScript } from './script.js'
import { isAlive, kinds, openPool, recordWorkers, rejectionOf } from './support.js'

describe.each(kinds)('lifecycle of $name pools', (kind) => {
  it('resolves ready() once every worker reported ready', async () => {
    const events = recordWorkers()
    // setup() takes 100 ms in each worker. (Their teardown cannot write to this
    // directory; a failing teardown must not keep a worker alive either.)
    const pool = openPool({ executor: kind.executor('lifecycle.worker.mjs', { workerData: { markerDir: '/nonexistent' } }), concurrency: 3, observers: [events.observer] })
    expect(pool.stats().workers.starting).toBe(3)
    await pool.ready()
    expect(events.started).toHaveLength(3)
    expect(pool.stats().workers).toEqual({ total: 3, busy: 0, idle: 3, starting: 0 })
  })

  it('lets running tasks finish on close(), then terminates every worker', async () => {
    const events = recordWorkers()
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs'), concurrency: 2, observers: [events.observer] })
    await pool.ready()
    const pids = kind.name === 'processes' ? ((await Promise.all([pool.run(null, { name: 'identity' }), pool.run(null, { name: 'identity' })])) as string[]) : []
    const running = [pool.run(150, { name: 'sleep' }), pool.run(150, { name: 'sleep' })]
    const closing = pool.close()
    await expect(pool.run(1, { name: 'echo' })).rejects.toBeInstanceOf(PoolClosedError)
    await expect(Promise.all(running)).resolves.toEqual([150, 150])
    const report = await closing
    expect(report).toMatchObject({ settled: 2, unstarted: [], aborted: [], timedOut: false })
    expect(pool.stats().workers.total).toBe(0)
    expect(events.exited.map((e) => e.reason)).toEqual(['closed', 'closed'])
    for (const id of pids) expect(isAlive(Number(id.split(':')[0]))).toBe(false)
  })

  it('terminates at once on destroy(): a never-ending task is aborted and its worker is gone', async () => {
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs'), concurrency: 1 })
    await pool.ready()
    const worker = (await pool.run(null, { name: 'identity' })) as string
    const stuck = rejectionOf(pool.run(null, { name: 'spin' }))
    await vi.waitFor(() => expect(pool.stats().running).toBe(1))
    const startedAt = performance.now()
    const report = await pool.destroy()
    expect(performance.now() - startedAt).toBeLessThan(2000)
    expect(report.aborted).toHaveLength(1)
    expect(report.timedOut).toBe(true)
    expect(await stuck).toBeInstanceOf(PoolClosedError)
    expect(pool.stats().workers.total).toBe(0)
    if (kind.name === 'processes') expect(isAlive(Number(worker.split(':')[0]))).toBe(false)
  })

  it('leaves no worker, port, child process or timer after 10,000 tasks and close(): a script exits by itself', () => {
    const result = runScript([kind.name, 'leak', '10000', '4'], 20_000)
    expect(result.timedOut, result.stderr).toBe(false)
    expect(result.signal).toBeNull()
    expect(result.status, result.stderr).toBe(0)
    expect(result.output.sum).toBe((9999 * 10000) / 2)
    // Every task had settled before close() began.
    expect(result.output.settled).toBe(0)
    // Nothing of the pool's keeps the event loop alive after close().
    expect(result.output.handlesAfter).toEqual(result.output.handlesBefore)
    // Heap back near its baseline (no task records, results or workers kept).
    expect(result.output.heapGrowth).toBeLessThan(8 * 1024 * 1024)
  })
})
