// capabilities(): tasks that require capabilities run only on workers that
// have them, wait aside (without holding up the rest) while those are busy,
// and fail with NoCapableWorkerError when no worker of the pool has them.
import { combineExecutors, createPool, createVirtualClock, NoCapableWorkerError } from '@poolkit/core'
import type { Executor, PoolObserver, RejectReason, VirtualClock, WorkerHandle } from '@poolkit/core'
import { runSelectorConformance } from '@poolkit/core/testing'
import { describe, expect, it } from 'vitest'
import { capabilities, roundRobin } from '../src/index.js'
import { sleep } from './support.js'

/** Workers on the virtual clock that sleep their input (ms); `capabilities`, when given, is what each says it can do. */
function part(clock: VirtualClock, capabilities?: readonly string[], starts?: { pending: Promise<void> }): Executor<number, number> {
  return {
    kind: 'sleepers',
    async spawn({ workerId }) {
      if (starts !== undefined) await starts.pending
      const handle: WorkerHandle<number, number> = {
        id: workerId,
        run: async (ms: number) => {
          await sleep(clock, ms)
          return ms
        },
        terminate: () => Promise.resolve(),
        ...(capabilities === undefined ? {} : { capabilities }),
      }
      return handle
    },
  }
}

/** A pool of one 'gpu' worker and `cpu` others, recording where each task started and why any was rejected. */
function gpuPool(clock: VirtualClock, cpu = 2, gpu = 1) {
  const placed = new Map<number, number>()
  const rejected: RejectReason[] = []
  const workerCaps = new Map<number, readonly string[]>()
  const observer: PoolObserver = {
    onStarted: (_pool, task, worker) => void placed.set(task.id, worker.id),
    onRejected: (_pool, _task, reason) => void rejected.push(reason),
    onWorkerStarted: (_pool, worker) => void workerCaps.set(worker.id, worker.capabilities),
  }
  const pool = createPool<number, number>({
    executor: combineExecutors([
      { executor: part(clock), workers: gpu, capabilities: ['gpu'] },
      { executor: part(clock), workers: cpu },
    ]),
    clock,
    selector: capabilities(),
    observers: [observer],
  })
  return { pool, placed, rejected, workerCaps }
}

describe('capabilities()', () => {
  it('runs a task that requires a capability only on a worker that has it, and the others anywhere', async () => {
    const clock = createVirtualClock()
    const { pool, placed, workerCaps } = gpuPool(clock)
    await pool.ready()
    const gpuWorker = [...workerCaps].find(([, caps]) => caps.includes('gpu'))![0]
    expect([...workerCaps.values()].filter((caps) => caps.length === 0)).toHaveLength(2)
    const runs = Array.from({ length: 12 }, (_, i) => pool.run(10, i % 3 === 0 ? { requires: ['gpu'] } : {}))
    await clock.runAll()
    await Promise.all(runs)
    const gpuTasks = [...placed].filter(([id]) => (id - 1) % 3 === 0)
    expect(gpuTasks.length).toBe(4)
    for (const [, worker] of gpuTasks) expect(worker).toBe(gpuWorker)
    // The others spread over the workers (the gpu one is busy with the gpu tasks meanwhile).
    expect(new Set([...placed].filter(([id]) => (id - 1) % 3 !== 0).map(([, w]) => w)).size).toBeGreaterThanOrEqual(2)
    await pool.close()
  })

  it('lets the tasks queued behind a waiting one go to the other workers while its capable worker is busy', async () => {
    const clock = createVirtualClock()
    const { pool, placed } = gpuPool(clock, 2)
    await pool.ready()
    // Task 1 holds the only gpu worker for 100 ms; task 2 needs it too; tasks 3 to 6 do not.
    const runs = [pool.run(100, { requires: ['gpu'] }), pool.run(100, { requires: ['gpu'] }), pool.run(10), pool.run(10), pool.run(10), pool.run(10)]
    await clock.advance(0)
    expect(pool.stats().queued).toBe(3)
    await clock.advance(25)
    // The four cpu tasks ran meanwhile on the two other workers; task 2 still waits for the gpu.
    expect([3, 4, 5, 6].every((id) => placed.has(id))).toBe(true)
    expect(placed.has(2)).toBe(false)
    await clock.advance(100)
    expect(placed.get(2)).toBe(placed.get(1))
    await clock.runAll()
    expect(await Promise.all(runs)).toEqual([100, 100, 10, 10, 10, 10])
    await pool.close()
  })

  it('fails at once, with NoCapableWorkerError naming what is missing, a task no worker of the pool can run', async () => {
    const clock = createVirtualClock()
    const { pool, rejected } = gpuPool(clock)
    await pool.ready()
    const error = await pool.run(10, { requires: ['tpu'] }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NoCapableWorkerError)
    expect(error).toMatchObject({ code: 'ERR_POOL_NO_CAPABLE_WORKER', requires: ['tpu'], available: ['gpu'] })
    expect((error as Error).message).toBe('No worker of the pool has every capability the task requires ("tpu"): none has "tpu"; its workers have "gpu"')
    expect(rejected).toEqual(['unplaceable'])
    // Each capability on some worker, none with both.
    const both = await pool.run(10, { requires: ['gpu', 'fpga'] }).catch((e: unknown) => e)
    expect((both as Error).message).toContain('none has "fpga"')
    // The pool goes on.
    const ok = pool.run(5, { requires: ['gpu'] })
    await clock.runAll()
    expect(await ok).toBe(5)
    await pool.close()
  })

  it('waits while a worker is still starting (it may turn out able), then fails the task once every worker is ready and none can run it', async () => {
    const clock = createVirtualClock()
    let release!: () => void
    const starts = { pending: new Promise<void>((resolve) => (release = resolve)) }
    const pool = createPool<number, number>({
      executor: combineExecutors([
        { executor: part(clock, undefined), workers: 1 },
        { executor: part(clock, ['gpu'], starts), workers: 1 },
      ]),
      clock,
      selector: capabilities(),
    })
    let settled: unknown = 'pending'
    void pool.run(10, { requires: ['tpu'] }).catch((e: unknown) => (settled = e))
    const gpu = pool.run(7, { requires: ['gpu'] })
    await clock.advance(50)
    expect(settled).toBe('pending')
    release()
    await clock.runAll()
    expect(settled).toBeInstanceOf(NoCapableWorkerError)
    expect(await gpu).toBe(7)
    await pool.close()
  })

  it('takes the capabilities a worker declares itself (WorkerHandle.capabilities, as a worker setup returns them) with those of its part', async () => {
    const clock = createVirtualClock()
    const seen: (readonly string[])[] = []
    const pool = createPool<number, number>({
      executor: combineExecutors([{ executor: part(clock, ['avx512']), workers: 2, capabilities: ['gpu'] }]),
      clock,
      selector: capabilities(),
      observers: [{ onWorkerStarted: (_pool, worker) => void seen.push(worker.capabilities) }],
    })
    await pool.ready()
    expect(seen).toEqual([
      ['gpu', 'avx512'],
      ['gpu', 'avx512'],
    ])
    const run = pool.run(3, { requires: ['avx512', 'gpu'] })
    await clock.runAll()
    expect(await run).toBe(3)
    await pool.close()
  })

  it('picks among the capable workers with its fallback, whose hooks it forwards', async () => {
    const clock = createVirtualClock()
    const { pool, placed, workerCaps } = (() => {
      const placed = new Map<number, number>()
      const workerCaps = new Map<number, readonly string[]>()
      const pool = createPool<number, number>({
        executor: combineExecutors([
          { executor: part(clock), workers: 2, capabilities: ['gpu'] },
          { executor: part(clock), workers: 2 },
        ]),
        clock,
        selector: capabilities({ fallback: roundRobin() }),
        observers: [{ onStarted: (_p, task, worker) => void placed.set(task.id, worker.id), onWorkerStarted: (_p, worker) => void workerCaps.set(worker.id, worker.capabilities) }],
      })
      return { pool, placed, workerCaps }
    })()
    await pool.ready()
    const gpuIds = [...workerCaps].filter(([, caps]) => caps.includes('gpu')).map(([id]) => id)
    for (let i = 0; i < 4; i++) {
      const run = pool.run(1, { requires: ['gpu'] })
      await clock.runAll()
      await run
    }
    // Round robin over the two gpu workers, one after the other.
    const order = [...placed.values()]
    expect(new Set(order)).toEqual(new Set(gpuIds))
    expect(order[0]).not.toBe(order[1])
    expect(order[1]).not.toBe(order[2])
    await pool.close()
  })

  it('checks its options, naming the option and the value', () => {
    expect(() => capabilities({ fallback: 5 as never })).toThrow('options.fallback must be an object, got 5')
    expect(() => capabilities(7 as never)).toThrow(/options must be an object/)
  })

  it('rejects requires that are not an array of non-empty strings, naming the option', async () => {
    const pool = createPool<number, number>({ handler: async (x) => x, selector: capabilities() })
    await expect(pool.run(1, { requires: 'gpu' as never })).rejects.toThrow('options.requires must be an array of non-empty strings, got "gpu"')
    await expect(pool.run(1, { requires: ['gpu', ''] })).rejects.toThrow('options.requires[1] must be a non-empty string, got ""')
    await pool.close()
  })
})

runSelectorConformance('capabilities()', () => capabilities(), { describe, it })
