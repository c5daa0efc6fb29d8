// Tasks a selector declines wait aside (the tasks behind them go on), a
// selector's refuse() fails a task no worker can run, and combineExecutors()
// builds one pool from several kinds of worker, each with its capabilities.
import { describe, expect, it } from 'vitest'
import { combineExecutors, createPool, createVirtualClock, inProcess } from '../src/index.js'
import type { CloseReport, Executor, RejectReason, TaskInfo, VirtualClock, WorkerHandle, WorkerInfo, WorkerSelector } from '../src/index.js'
import { ASIDE_LIMIT } from '../src/internal/aside-queue.js'
import { sleep, track } from './support.js'

/** Closes at once on the virtual clock (close's timeout is a timer on it). */
async function closeNow(pool: { close(o: { timeout: number }): Promise<CloseReport> }, clock: VirtualClock): Promise<CloseReport> {
  const closing = pool.close({ timeout: 0 })
  await clock.runAll()
  return closing
}

const sleeper = (clock: VirtualClock) => async (ms: number) => {
  await sleep(clock, ms)
  return ms
}

/** Sends tasks whose key is 'w<id>' only to worker <id>, and the others to the first candidate. */
const byKey: WorkerSelector = {
  select(candidates: readonly WorkerInfo[], task: TaskInfo) {
    if (task.key === undefined) return candidates[0]
    return candidates.find((c) => `w${c.id}` === task.key)
  },
}

describe('a task the selector declines', () => {
  it('waits aside while the tasks queued behind it run on the other workers, and runs, first, once its worker frees up', async () => {
    const clock = createVirtualClock()
    const started: number[] = []
    const pool = createPool<number, number>({
      handler: sleeper(clock),
      clock,
      concurrency: 2,
      selector: byKey,
      observers: [{ onStarted: (_p, task) => void started.push(task.id) }],
    })
    await pool.ready()
    const ids = (await Promise.resolve(pool.stats())).perWorker.map((w) => w.id)
    const first = ids[0]!
    // Task 1 holds worker `first`; task 2 wants it too; 3 and 4 take any worker.
    const runs = [pool.run(100, { key: `w${first}` }), pool.run(10, { key: `w${first}` }), pool.run(10), pool.run(10)]
    await clock.advance(0)
    expect(started).toEqual([1, 3])
    expect(pool.stats().queued).toBe(2)
    await clock.advance(10)
    expect(started).toEqual([1, 3, 4])
    await clock.advance(90)
    expect(started).toEqual([1, 3, 4, 2])
    await clock.runAll()
    expect(await Promise.all(runs)).toEqual([100, 10, 10, 10])
    await pool.close()
  })

  it('counts as queued: it can be cancelled, and close() reports it unstarted', async () => {
    const clock = createVirtualClock()
    const pool = createPool<number, number>({ handler: sleeper(clock), clock, concurrency: 1, selector: { select: (c, t) => (t.key === 'never' ? undefined : c[0]) } })
    await pool.ready()
    const controller = new AbortController()
    const cancelled = track(pool.run(1, { key: 'never', signal: controller.signal }))
    const kept = track(pool.run(1, { key: 'never' }))
    await clock.advance(0)
    expect(pool.stats().queued).toBe(2)
    controller.abort(new Error('no longer needed'))
    await clock.advance(0)
    expect(cancelled.status).toBe('rejected')
    expect(pool.stats().queued).toBe(1)
    const report = await closeNow(pool, clock)
    expect(report.unstarted.map((t) => t.key)).toEqual(['never'])
    await clock.runAll()
    expect(kept.status).toBe('rejected')
  })

  it(`keeps at most ${ASIDE_LIMIT} aside: past that the queue waits, in order`, async () => {
    const clock = createVirtualClock()
    const offered: number[] = []
    const pool = createPool<number, number>({
      handler: sleeper(clock),
      clock,
      concurrency: 1,
      selector: {
        select(candidates, task) {
          offered.push(task.id)
          return task.key === 'wait' ? undefined : candidates[0]
        },
      },
    })
    await pool.ready()
    const blocker = pool.run(50)
    for (let i = 0; i < ASIDE_LIMIT + 5; i++) void pool.run(1, { key: 'wait' }).catch(() => {})
    const late = track(pool.run(1))
    await clock.advance(50)
    await blocker
    // The worker is free: the aside tasks are offered, then the queue up to the limit; the task after them waits.
    expect(late.status).toBe('pending')
    expect(new Set(offered).size).toBe(1 + ASIDE_LIMIT)
    await closeNow(pool, clock)
  })
})

describe('WorkerSelector.refuse', () => {
  it("fails a declined task it refuses at once, rejected as 'unplaceable' with its error, and keeps waiting one it does not", async () => {
    const clock = createVirtualClock()
    const reasons: RejectReason[] = []
    const seen: number[][] = []
    const pool = createPool<number, number>({
      handler: sleeper(clock),
      clock,
      concurrency: 2,
      selector: {
        select: (candidates, task) => (task.key === undefined ? candidates[0] : undefined),
        refuse(task, workers) {
          seen.push(workers.map((w) => w.id))
          return task.key === 'impossible' ? new Error('nobody can') : undefined
        },
      },
      observers: [{ onRejected: (_p, _t, reason) => void reasons.push(reason) }],
    })
    await pool.ready()
    const impossible = track(pool.run(1, { key: 'impossible' }))
    const waiting = track(pool.run(1, { key: 'later' }))
    const plain = pool.run(3)
    await clock.advance(0)
    expect(impossible.status).toBe('rejected')
    expect((impossible.error as Error).message).toBe('nobody can')
    expect(reasons).toEqual(['unplaceable'])
    // refuse() sees every worker of the pool.
    expect(seen[0]).toHaveLength(2)
    expect(waiting.status).toBe('pending')
    await clock.runAll()
    expect(await plain).toBe(3)
    expect(waiting.status).toBe('pending')
    await closeNow(pool, clock)
  })

  it('reports a refuse() that returns something other than an Error as a TypeError on the task, naming the value', async () => {
    const clock = createVirtualClock()
    const pool = createPool<number, number>({ handler: sleeper(clock), clock, selector: { select: () => undefined, refuse: () => 'no' as never } })
    await pool.ready()
    const run = track(pool.run(1))
    await clock.advance(0)
    expect(run.status).toBe('rejected')
    expect((run.error as Error).message).toBe('options.selector.refuse() must return an Error or undefined, got "no"')
    await pool.close()
  })
})

/** Workers that sleep their input on the clock; each reports `own` as its capabilities. */
function kind(clock: VirtualClock, name: string, own?: readonly string[], closed?: string[]): Executor<number, number> {
  return {
    kind: name,
    tasksPerWorker: name === 'wide' ? 4 : 1,
    spawn({ workerId }) {
      const handle: WorkerHandle<number, number> = {
        id: workerId,
        run: sleeper(clock),
        terminate: () => Promise.resolve(),
        ...(own === undefined ? {} : { capabilities: own }),
      }
      return handle
    },
    close: () => void closed?.push(name),
  }
}

describe('combineExecutors()', () => {
  it("starts each part's share of the workers, with the part's capabilities and the worker's own, at the sum of the parts by default", async () => {
    const clock = createVirtualClock()
    const closed: string[] = []
    const workers: WorkerInfo[] = []
    const pool = createPool<number, number>({
      executor: combineExecutors([
        { executor: kind(clock, 'gpu', ['cuda'], closed), workers: 1, capabilities: ['gpu'] },
        { executor: kind(clock, 'cpu', undefined, closed), workers: 3 },
      ]),
      clock,
      observers: [{ onWorkerStarted: (_p, w) => void workers.push(w) }],
    })
    await pool.ready()
    expect(pool.stats().workers.total).toBe(4)
    // The capabilities, as a selector or an observer sees them.
    expect(workers.map((w) => [...w.capabilities])).toEqual([['gpu', 'cuda'], [], [], []])
    await pool.close()
    expect(closed.sort()).toEqual(['cpu', 'gpu'])
  })

  it('replaces a worker that left within its own part, and sends new workers to the part furthest below its share', async () => {
    const clock = createVirtualClock()
    const spawned: string[] = []
    const exits = new Map<number, (reason: 'crashed') => void>()
    const part = (name: string): Executor<number, number> => ({
      kind: name,
      spawn({ workerId, onExit }) {
        spawned.push(name)
        exits.set(workerId, (reason) => onExit({ reason }))
        return { id: workerId, run: sleeper(clock), terminate: () => Promise.resolve() }
      },
    })
    const pool = createPool<number, number>({
      executor: combineExecutors([
        { executor: part('a'), workers: 1 },
        { executor: part('b'), workers: 2 },
      ]),
      clock,
    })
    pool.on('error', () => {})
    await pool.ready()
    expect(spawned.sort()).toEqual(['a', 'b', 'b'])
    spawned.length = 0
    // The 'a' worker crashes: its replacement is an 'a' again.
    const aId = pool.stats().perWorker[0]!.id
    exits.get(aId)!('crashed')
    await clock.runAll()
    await pool.ready()
    expect(spawned).toEqual(['a'])
    spawned.length = 0
    // Grown to 6: one more 'a' and two more 'b' keep the 1:2 share.
    pool.resize(6)
    await clock.runAll()
    await pool.ready()
    expect(spawned.sort()).toEqual(['a', 'b', 'b'])
    await pool.close()
  })

  it("holds at most a part's tasksPerWorker on its workers, and counts the pool at the largest part's", async () => {
    const clock = createVirtualClock()
    const running = new Map<number, number>()
    let most = 0
    const pool = createPool<number, number>({
      executor: combineExecutors([
        { executor: kind(clock, 'wide'), workers: 1 },
        { executor: kind(clock, 'narrow'), workers: 1 },
      ]),
      clock,
      observers: [
        {
          onStarted: (_p, _t, w) => {
            running.set(w.id, w.running)
            if (w.capacity === 1) most = Math.max(most, w.running)
          },
        },
      ],
    })
    await pool.ready()
    expect(pool.stats().capacity).toBe(8)
    const runs = Array.from({ length: 10 }, () => pool.run(5))
    await clock.runAll()
    await Promise.all(runs)
    expect(most).toBe(1)
    expect(
      pool
        .stats()
        .perWorker.map((w) => w.capacity)
        .sort(),
    ).toEqual([1, 4])
    await pool.close()
  })

  it('checks its parts, naming the part and the field', () => {
    const clock = createVirtualClock()
    const ok = inProcess(sleeper(clock))
    expect(() => combineExecutors([])).toThrow('combineExecutors(parts) must be a non-empty array of { executor, workers }, got an empty array')
    expect(() => combineExecutors([{ executor: ok, workers: -1 }])).toThrow('parts[0].workers must be a non-negative integer, got -1')
    expect(() => combineExecutors([{ executor: {} as never, workers: 1 }])).toThrow('parts[0].executor.spawn must be a function, got undefined')
    expect(() => combineExecutors([{ executor: ok, workers: 1, capabilities: ['gpu', 3 as never] }])).toThrow('parts[0].capabilities[1] must be a non-empty string, got 3')
    expect(() => combineExecutors([{ executor: ok, workers: 0 }])).toThrow('combineExecutors(parts) needs a part with at least one worker, got 0')
  })
})
