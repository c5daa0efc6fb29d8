// The selector's optional hooks (onWorkerStarted, onWorkerExited, onFinished)
// and the WorkerInfo fields they lean on (busyMs, eventLoopUtilization), on the
// virtual clock: what the pool calls, when, and with which worker and run time.
import { describe, expect, it } from 'vitest'
import { createPool, createVirtualClock, WorkerExitError } from '../src/index.js'
import type { Executor, SpawnContext, TaskInfo, WorkerHandle, WorkerInfo, WorkerSelector, WorkerTask } from '../src/index.js'
import { sleep, tick, track } from './support.js'

/** A selector that records every hook call and picks the candidate `choose` names (else the first). */
function recorder(choose: (candidates: readonly WorkerInfo[], task: TaskInfo) => WorkerInfo | undefined = (c) => c[0]) {
  const calls: string[] = []
  const finished: { task: number; worker: number; runMs: number; ok: boolean; busyMs: number }[] = []
  const selector: Required<Omit<WorkerSelector, 'refuse'>> = {
    select(candidates, task) {
      calls.push(`select:${task.id}:[${candidates.map((c) => c.id).join(',')}]`)
      return choose(candidates, task)
    },
    onWorkerStarted(worker) {
      calls.push(`started:${worker.id}`)
    },
    onWorkerExited(worker) {
      calls.push(`exited:${worker.id}`)
    },
    onFinished(task, worker, runMs, ok) {
      calls.push(`finished:${task.id}:${worker.id}`)
      finished.push({ task: task.id, worker: worker.id, runMs, ok, busyMs: worker.busyMs })
    },
  }
  return { selector, calls, finished }
}

/** Each task sleeps its input in ms on the clock, then returns it; a negative input throws after |input| ms. */
const sleeper =
  (clock: ReturnType<typeof createVirtualClock>) =>
  async (ms: number): Promise<number> => {
    await sleep(clock, Math.abs(ms))
    if (ms < 0) throw new Error(`failed after ${-ms} ms`)
    return ms
  }

describe('WorkerSelector hooks', () => {
  it('hears of each worker that starts, before it is first a candidate, and of each that exits', async () => {
    const clock = createVirtualClock()
    const { selector, calls } = recorder()
    const pool = createPool({ handler: sleeper(clock), concurrency: 3, clock, selector })
    // The workers of an in-process pool start while it is being created.
    expect(calls).toEqual(['started:1', 'started:2', 'started:3'])
    const run = track(pool.run(10))
    await clock.advance(10)
    expect(run.value).toBe(10)
    pool.resize(1)
    // Shrinking retires idle workers: the longest idle first.
    expect(calls.filter((c) => c.startsWith('exited'))).toHaveLength(2)
    pool.resize(2)
    expect(calls.at(-1)).toBe('started:4')
    await pool.close()
    expect(calls.filter((c) => c.startsWith('exited')).sort()).toEqual(['exited:1', 'exited:2', 'exited:3', 'exited:4'])
  })

  it('calls onFinished with the task, its worker and the run time on the pool clock, after the worker is released', async () => {
    const clock = createVirtualClock()
    const { selector, finished } = recorder((candidates, task) => candidates.find((c) => c.id === (task.id % 2 === 1 ? 1 : 2)))
    const pool = createPool({ handler: sleeper(clock), concurrency: 2, clock, selector })
    const runs = [30, 50, 20, 40].map((ms) => track(pool.run(ms)))
    await clock.advance(100)
    expect(runs.map((r) => r.value)).toEqual([30, 50, 20, 40])
    // Tasks 1 and 3 ran on worker 1 (30 + 20 ms), 2 and 4 on worker 2 (50 + 40 ms).
    expect(finished).toEqual([
      { task: 1, worker: 1, runMs: 30, ok: true, busyMs: 30 },
      { task: 2, worker: 2, runMs: 50, ok: true, busyMs: 50 },
      { task: 3, worker: 1, runMs: 20, ok: true, busyMs: 50 },
      { task: 4, worker: 2, runMs: 40, ok: true, busyMs: 90 },
    ])
    await pool.close()
  })

  it('accumulates busyMs per worker over completed, failed, timed-out and cancelled attempts, and shows it in JSON', async () => {
    const clock = createVirtualClock()
    const { selector, finished } = recorder()
    const seen: WorkerInfo[] = []
    const pool = createPool({ handler: sleeper(clock), concurrency: 1, clock, selector, observers: [{ onStarted: (_p, _t, worker) => void seen.push(worker) }] })
    const ok = track(pool.run(10))
    const failed = track(pool.run(-15))
    const timedOut = track(pool.run(1000, { timeout: 25 }))
    const controller = new AbortController()
    const cancelled = track(pool.run(1000, { signal: controller.signal }))
    await clock.advance(10 + 15 + 25)
    // The timed-out handler still holds the one slot for a while: the cancelled task waits.
    await clock.advance(975)
    await clock.flush()
    expect(cancelled.status).toBe('pending')
    await clock.advance(7)
    controller.abort(new Error('stop'))
    await clock.flush()
    expect([ok.status, failed.status, timedOut.status, cancelled.status]).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected'])
    expect(finished.map((f) => [f.runMs, f.ok])).toEqual([
      [10, true],
      [15, false],
      [25, false],
      [7, false],
    ])
    const worker = seen[0]!
    expect(worker.busyMs).toBe(10 + 15 + 25 + 7)
    expect(JSON.parse(JSON.stringify(worker))).toMatchObject({ id: 1, busyMs: 57 })
    await clock.runAll()
    await pool.close()
  })

  it('keeps busyMs without any selector', async () => {
    const clock = createVirtualClock()
    const workers: WorkerInfo[] = []
    const pool = createPool({ handler: sleeper(clock), concurrency: 1, clock, observers: [{ onWorkerStarted: (_p, worker) => void workers.push(worker) }] })
    const both = Promise.all([pool.run(12), pool.run(8)])
    await clock.advance(20)
    expect(await both).toEqual([12, 8])
    expect(workers[0]!.busyMs).toBe(20)
    await pool.close()
  })

  it("reports a throwing hook on 'error' and keeps dispatching", async () => {
    const clock = createVirtualClock()
    const boom = (hook: string) => (): never => {
      throw new Error(`${hook} threw`)
    }
    const selector: WorkerSelector = {
      select: (candidates) => candidates[0],
      onWorkerStarted: boom('onWorkerStarted'),
      onWorkerExited: boom('onWorkerExited'),
      onFinished: boom('onFinished'),
    }
    const pool = createPool({ handler: sleeper(clock), concurrency: 2, clock, selector })
    const errors: string[] = []
    pool.on('error', (error) => errors.push((error as Error).message))
    // The starts during createPool() threw before anyone listened: an unheard 'error' is dropped.
    expect(errors).toEqual([])
    const results = Promise.all([pool.run(5), pool.run(5), pool.run(5)])
    await clock.advance(10)
    expect(await results).toEqual([5, 5, 5])
    expect(errors).toEqual(['onFinished threw', 'onFinished threw', 'onFinished threw'])
    errors.length = 0
    pool.resize(1)
    pool.resize(2)
    expect(errors).toEqual(['onWorkerExited threw', 'onWorkerStarted threw'])
    const last = track(pool.run(1))
    await clock.advance(1)
    expect(last.value).toBe(1)
    await pool.close()
  })

  it('asks the selector once for a task submitted while a worker is free, and again only when a worker frees up', async () => {
    const clock = createVirtualClock()
    const asked: number[] = []
    let decline = true
    const pool = createPool({
      handler: sleeper(clock),
      concurrency: 2,
      clock,
      selector: {
        select(candidates, task) {
          asked.push(task.id)
          return task.id === 2 && decline ? undefined : candidates[0]
        },
      },
    })
    const first = track(pool.run(10))
    expect(asked).toEqual([1])
    // Declined with a worker free: it waits in the queue, not asked twice.
    const second = track(pool.run(10))
    expect(asked).toEqual([1, 2])
    expect(pool.stats().queued).toBe(1)
    decline = false
    await clock.advance(10)
    expect(first.value).toBe(10)
    expect(asked).toEqual([1, 2, 2])
    await clock.advance(10)
    expect(second.value).toBe(10)
    await pool.close()
  })

  it('refuses a hook that is not a function, naming it', () => {
    expect(() => createPool({ handler: (x: number) => x, selector: { select: (c) => c[0], onFinished: 1 as never } })).toThrow(new TypeError('options.selector.onFinished must be a function, got 1'))
    expect(() => createPool({ handler: (x: number) => x, selector: { select: (c) => c[0], onWorkerStarted: 'no' as never } })).toThrow(/options\.selector\.onWorkerStarted must be a function/)
  })

  it('hears of a crashed worker and its replacement, and not of an attempt that never started', async () => {
    // One worker at a time; a run() parked until the test settles it.
    const contexts: SpawnContext[] = []
    const parked: { task: WorkerTask; resolve(v: number): void; reject(e: unknown): void }[] = []
    const executor: Executor<number, number> = {
      kind: 'crashy',
      spawn(context) {
        contexts.push(context)
        const handle: WorkerHandle<number, number> = {
          id: context.workerId,
          run: (_input, task) => new Promise((resolve, reject) => parked.push({ task, resolve, reject })),
          terminate: () => Promise.resolve(),
        }
        return handle
      },
    }
    const { selector, calls, finished } = recorder()
    const pool = createPool({ executor, concurrency: 1, selector })
    pool.on('error', () => {})
    const first = track(pool.run(1))
    await tick()
    // The worker dies holding a task it never started: the task goes back to the queue, uncounted.
    parked.shift()!.reject(new WorkerExitError({ workerId: 1, exitCode: 1, taskStarted: false }))
    contexts[0]!.onExit({ exitCode: 1 })
    await tick()
    expect(calls.filter((c) => !c.startsWith('select'))).toEqual(['started:1', 'exited:1', 'started:2'])
    expect(finished).toEqual([])
    parked.shift()!.resolve(1)
    await tick()
    expect(first.value).toBe(1)
    expect(finished.map((f) => [f.task, f.worker, f.ok])).toEqual([[1, 2, true]])
    await pool.close()
  })

  it('gives eventLoopUtilization from the handle stats() of a ready worker, live, and undefined without stats()', async () => {
    let elu = 0.25
    const executor: Executor<number, number> = {
      kind: 'measured',
      spawn: ({ workerId }) => ({ id: workerId, run: async (x: number) => x, terminate: () => Promise.resolve(), stats: () => ({ eventLoopUtilization: elu }) }),
    }
    const seen: (number | undefined)[] = []
    const pool = createPool({
      executor,
      selector: {
        select: (candidates) => {
          seen.push(candidates[0]!.eventLoopUtilization)
          return candidates[0]
        },
      },
    })
    await pool.run(1)
    elu = 0.75
    await pool.run(2)
    expect(seen).toEqual([0.25, 0.75])
    await pool.close()

    const plain: (number | undefined)[] = []
    const inProcess = createPool({ handler: (x: number) => x, selector: { select: (c) => (plain.push(c[0]!.eventLoopUtilization), c[0]) } })
    await inProcess.run(1)
    expect(plain).toEqual([undefined])
    await inProcess.close()
  })
})
