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

  it('is asked about again when the workers change or nothing else waits, not at each of the placements behind it on another worker', async () => {
    const clock = createVirtualClock()
    const asked = new Map<number, number>()
    const pool = createPool<number, number>({
      handler: sleeper(clock),
      clock,
      concurrency: 2,
      selector: {
        select(candidates, task) {
          asked.set(task.id, (asked.get(task.id) ?? 0) + 1)
          return byKey.select(candidates, task)
        },
      },
    })
    await pool.ready()
    const first = pool.stats().perWorker[0]!.id
    // Task 1 holds worker `first` for 100 ms; task 2 waits for it; tasks 3 to 12 run one by one on the other worker.
    const runs = [pool.run(100, { key: `w${first}` }), pool.run(5, { key: `w${first}` })]
    for (let i = 0; i < 10; i++) runs.push(pool.run(1))
    await clock.advance(50)
    // Asked when it came; not at the ten placements behind it on the other worker (which only freed the slot
    // it already had when the task was declined); once more when the queue behind it had emptied.
    expect(asked.get(2)).toBe(2)
    await clock.runAll()
    expect(await Promise.all(runs)).toEqual([100, 5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    // And once when its worker had room.
    expect(asked.get(2)).toBe(3)
    await pool.close()
  })

  it("is asked about again as another worker's load drops by a margin that doubles with each decline, and at once when the worker is idle", async () => {
    const clock = createVirtualClock()
    const asked = new Map<number, number[]>()
    const started: number[] = []
    // One worker that holds 16 tasks; 'idle-only' tasks go only to an idle worker.
    const pool = createPool<number, number>({
      executor: { ...inProcess(sleeper(clock)), tasksPerWorker: 16 },
      clock,
      concurrency: 1,
      selector: {
        select(candidates, task) {
          if (task.key === 'idle-only') asked.set(task.id, [...(asked.get(task.id) ?? []), clock.now()])
          return task.key === 'idle-only' ? candidates.find((c) => c.running === 0) : candidates[0]
        },
      },
      observers: [{ onStarted: (_p, task) => void (task.key === 'idle-only' && started.push(clock.now())) }],
    })
    await pool.ready()
    const t0 = clock.now()
    // 16 tasks fill the worker and end one a millisecond; 70 'idle-only' tasks wait: 64 aside, 6 in the queue behind them.
    const runs: Promise<number>[] = []
    for (let i = 1; i <= 16; i++) runs.push(pool.run(i))
    for (let i = 0; i < ASIDE_LIMIT + 6; i++) runs.push(pool.run(1, { key: 'idle-only' }))
    await clock.advance(15.5)
    // First asked when the worker first had room (15 running), the oldest waiting task was asked again at
    // 14, 12 and 8 running (one, two and four fewer than at its last decline), not at each task that ended.
    const oldest = [...asked.values()][0]!
    expect(oldest.map((t) => t - t0)).toEqual([1, 2, 4, 8])
    await clock.runAll()
    expect((await Promise.all(runs)).length).toBe(16 + ASIDE_LIMIT + 6)
    // The first went as soon as the worker was idle.
    expect(started[0]! - t0).toBe(16)
    expect(started).toHaveLength(ASIDE_LIMIT + 6)
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

describe('the candidates a selector is offered', () => {
  it('are its own while select() runs: a select() that submits a task gets the pool right, and no worker holds more than its room', async () => {
    const clock = createVirtualClock()
    const seen: number[][] = []
    let nested: Promise<number> | undefined
    const selector: WorkerSelector = {
      select(candidates, task) {
        const before = candidates.map((c) => c.id)
        // The first task placed submits another from inside select(): it re-enters the pool.
        if (task.id === 1 && nested === undefined) nested = pool.run(5)
        seen.push(
          before,
          candidates.map((c) => c.id),
        )
        return candidates[candidates.length - 1]
      },
    }
    const pool = createPool<number, number>({ handler: sleeper(clock), clock, concurrency: 2, selector })
    await pool.ready()
    const first = pool.run(10)
    await clock.advance(0)
    // The outer call's candidates did not change under it while the nested task was placed.
    expect(seen[seen.length - 2]).toEqual(seen[seen.length - 1])
    const stats = pool.stats()
    expect(stats.running).toBe(2)
    expect(stats.perWorker.every((w) => w.running <= 1)).toBe(true)
    await clock.runAll()
    expect(await first).toBe(10)
    expect(await nested).toBe(5)
    await pool.close()
  })

  it('place the task they were asked about even when select() queues one ahead of it or cancels it', async () => {
    const clock = createVirtualClock()
    const started: string[] = []
    const controller = new AbortController()
    const extra: Promise<number>[] = []
    const selector: WorkerSelector = {
      select(candidates, task) {
        // Asked about 'b', it queues an urgent task ahead of everything; asked about 'c', it cancels 'c'.
        if (task.key === 'b' && extra.length === 0) extra.push(pool.run(1, { key: 'urgent', priority: 10 }))
        if (task.key === 'c') controller.abort(new Error('changed my mind'))
        return candidates[0]
      },
    }
    const pool = createPool<number, number>({
      handler: sleeper(clock),
      clock,
      concurrency: 1,
      selector,
      observers: [{ onStarted: (_p, task) => void started.push(String(task.key)) }],
    })
    await pool.ready()
    const a = pool.run(10, { key: 'a' })
    const b = pool.run(10, { key: 'b' })
    const c = track(pool.run(10, { key: 'c', signal: controller.signal }))
    const d = pool.run(10, { key: 'd' })
    await clock.runAll()
    expect(await Promise.all([a, b, d, ...extra])).toEqual([10, 10, 10, 1])
    expect(c.status).toBe('rejected')
    // 'b' was placed as asked; the urgent task went next; 'c' never started; nothing ran twice.
    expect(started).toEqual(['a', 'b', 'urgent', 'd'])
    expect(pool.stats().counters.completed).toBe(4)
    expect(pool.stats().counters.started).toBe(4)
    await pool.close()
  })
  it('leave the task they were asked about unstarted when select() destroys the pool, and count it as queued meanwhile', async () => {
    const clock = createVirtualClock()
    const started: string[] = []
    const sizes: number[] = []
    const selector: WorkerSelector = {
      select(candidates, task) {
        // Asked about 'b' (queued behind 'a'), it looks at the queue and destroys the pool.
        if (task.key === 'b') {
          sizes.push(pool.stats().queued)
          void pool.destroy()
        }
        return candidates[0]
      },
    }
    const pool = createPool<number, number>({
      handler: sleeper(clock),
      clock,
      concurrency: 1,
      selector,
      observers: [{ onStarted: (_p, task) => void started.push(String(task.key)) }],
    })
    await pool.ready()
    const runs = ['a', 'b', 'c'].map((key) => pool.run(10, { key }))
    const [, b, c] = runs.map((run) => track(run))
    await clock.runAll()
    await Promise.allSettled(runs)
    // 'b' was out of the queue while asked about, and still counted as queued.
    expect(sizes).toEqual([2])
    expect(started).toEqual(['a'])
    expect([b!.status, c!.status]).toEqual(['rejected', 'rejected'])
    expect(pool.stats().counters.started).toBe(1)
  })
  it('asked at submission, a select() that cancels the task leaves it unstarted, and one that declines it and submits another places the other', async () => {
    const clock = createVirtualClock()
    const started: string[] = []
    const controller = new AbortController()
    let other: Promise<number> | undefined
    const selector: WorkerSelector = {
      select(candidates, task) {
        if (task.key === 'cancel') controller.abort(new Error('changed my mind'))
        if (task.key === 'wait') {
          other ??= pool.run(3, { key: 'other' })
          return undefined
        }
        return candidates[0]
      },
    }
    const pool = createPool<number, number>({
      handler: sleeper(clock),
      clock,
      concurrency: 2,
      selector,
      observers: [{ onStarted: (_p, task) => void started.push(String(task.key)) }],
    })
    await pool.ready()
    const cancelled = track(pool.run(10, { key: 'cancel', signal: controller.signal }))
    const waiting = track(pool.run(10, { key: 'wait' }))
    await clock.advance(0)
    expect(cancelled.status).toBe('rejected')
    expect(started).toEqual(['other'])
    expect(waiting.status).toBe('pending')
    await clock.advance(3)
    expect(await other).toBe(3)
    expect(pool.stats().counters.cancelled).toBe(1)
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
