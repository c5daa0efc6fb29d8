import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createPool, createVirtualClock, QueueFullError, TaskDroppedError, TaskTimeoutError } from '../src/index.js'
import type { PoolObserver, QueueFullPolicy, TaskContext, TaskResult, VirtualClock } from '../src/index.js'

// Property tests of the pool's invariants (DESIGN.md): concurrency never exceeds
// the limit, every accepted task settles exactly once, priority order against an
// array model, and the counters add up once the pool is idle. Everything runs on
// the virtual clock, so each run is instant and deterministic for its seed.

const sleep = (clock: VirtualClock, ms: number): Promise<void> => new Promise((resolve) => clock.setTimeout(resolve, ms))

/** One task of a random workload. */
interface TaskSpec {
  /** When it is submitted (ms on the virtual clock). */
  readonly submitAt: number
  /** How long its handler runs, whatever happens (ms). */
  readonly duration: number
  readonly priority: number
  /** Its handler throws on every attempt. */
  readonly fails: boolean
  /** Its signal is aborted before it is submitted. */
  readonly preAborted: boolean
  /** When its signal aborts (ms on the virtual clock), if it does. */
  readonly abortAt: number | undefined
  /** Per-run timeout, if any. */
  readonly timeout: number | undefined
  /** Submitted with submit() (callback) rather than run() (promise). */
  readonly viaSubmit: boolean
}

const taskSpec: fc.Arbitrary<TaskSpec> = fc.record({
  submitAt: fc.integer({ min: 0, max: 60 }),
  duration: fc.integer({ min: 0, max: 50 }),
  priority: fc.integer({ min: -2, max: 3 }),
  fails: fc.boolean(),
  preAborted: fc.integer({ min: 0, max: 9 }).map((n) => n === 0), // about one task in ten
  abortAt: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 120 }) }),
  timeout: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 60 }) }),
  viaSubmit: fc.boolean(),
})

/** A marker for errors the test's handlers throw, to tell them from the pool's. */
class HandlerError extends Error {}
/** A marker for abort reasons the test uses. */
class CancelReason {
  constructor(readonly index: number) {}
}

interface Outcome {
  settles: number
  ok: boolean | undefined
  error: unknown
}

/**
 * Submits `specs` to `pool` at their times, with their aborts, and returns the
 * per-task outcome record (how many times each settled, and how).
 */
function drive(pool: ReturnType<typeof createPool<number, number>>, clock: VirtualClock, specs: readonly TaskSpec[], startedInputs: Set<number>, startedBeforeAbort: Map<number, boolean>): Outcome[] {
  const outcomes: Outcome[] = specs.map(() => ({ settles: 0, ok: undefined, error: undefined }))
  specs.forEach((spec, i) => {
    const controller = new AbortController()
    const reason = new CancelReason(i)
    if (spec.preAborted) controller.abort(reason)
    else if (spec.abortAt !== undefined) {
      clock.setTimeout(() => {
        startedBeforeAbort.set(i, startedInputs.has(i))
        controller.abort(reason)
      }, spec.abortAt)
    }
    const options = { priority: spec.priority, timeout: spec.timeout, signal: controller.signal }
    const record = (ok: boolean, valueOrError: unknown): void => {
      const o = outcomes[i]!
      o.settles++
      o.ok = ok
      o.error = ok ? undefined : valueOrError
    }
    clock.setTimeout(() => {
      if (spec.viaSubmit) {
        pool.submit(i, (r: TaskResult<number>) => (r.ok ? record(true, r.value) : record(false, r.error)), options)
      } else {
        pool.run(i, options).then(
          (v) => record(true, v),
          (e: unknown) => record(false, e),
        )
      }
    }, spec.submitAt)
  })
  return outcomes
}

// ---------------------------------------------------------------- (1) limit and settle-once

describe('property: the concurrency limit holds and every task settles exactly once', () => {
  it('for random workloads of durations, priorities, failures, aborts, timeouts and retries', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 8 }), fc.array(taskSpec, { maxLength: 40, size: 'medium' }), fc.integer({ min: 1, max: 3 }), async (concurrency, specs, attempts) => {
        const clock = createVirtualClock()
        let inFlight = 0
        let maxInFlight = 0
        const startedInputs = new Set<number>()
        const startedBeforeAbort = new Map<number, boolean>()
        const observed = new Map<number, number>() // task id -> onSettled/onRejected calls
        const observer: PoolObserver = {
          onSettled: (_pool, task) => void observed.set(task.id, (observed.get(task.id) ?? 0) + 1),
          onRejected: (_pool, task) => void observed.set(task.id, (observed.get(task.id) ?? 0) + 1),
        }
        const pool = createPool<number, number>({
          clock,
          concurrency,
          observers: [observer],
          retry: { attempts, backoff: { initialMs: 5, factor: 2, jitter: 0 } },
          handler: async (i: number, _ctx: TaskContext) => {
            startedInputs.add(i)
            inFlight++
            maxInFlight = Math.max(maxInFlight, inFlight)
            try {
              await sleep(clock, specs[i]!.duration)
            } finally {
              inFlight--
            }
            if (specs[i]!.fails) throw new HandlerError(`task ${i}`)
            return i
          },
        })
        const outcomes = drive(pool, clock, specs, startedInputs, startedBeforeAbort)
        await clock.runAll()

        expect(maxInFlight).toBeLessThanOrEqual(concurrency)
        expect(inFlight).toBe(0)
        // Every task settled exactly once, through its promise or callback and through the observer.
        expect(outcomes.map((o) => o.settles)).toEqual(specs.map(() => 1))
        expect(observed.size).toBe(specs.length)
        expect([...observed.values()].every((n) => n === 1)).toBe(true)
        specs.forEach((spec, i) => {
          const o = outcomes[i]!
          // A task whose signal aborted before it started never starts, and rejects with the reason.
          if (spec.preAborted) {
            expect(startedInputs.has(i)).toBe(false)
            expect(o.error).toBeInstanceOf(CancelReason)
          }
          if (o.ok === true) expect(spec.fails).toBe(false)
        })
        // A task whose signal aborted while it waited never starts afterwards.
        for (const [i, startedFirst] of startedBeforeAbort) {
          if (!startedFirst && outcomes[i]!.error instanceof CancelReason) expect(startedInputs.has(i)).toBe(false)
        }
        const stats = pool.stats()
        expect(stats).toMatchObject({ queued: 0, running: 0, delayed: 0, waitingForRoom: 0 })
        const report = await pool.close()
        expect(report.unstarted).toEqual([])
        expect(report.aborted).toEqual([])
        expect(clock.pending).toBe(0) // nothing of the pool's is left on the clock
      }),
      { numRuns: 150 },
    )
  })
})

// ---------------------------------------------------------------- (2) ordering

describe('property: start order follows priority, FIFO within equal priorities', () => {
  const priority = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(0, 1, 2, 3), fc.double({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true }))

  it('with the pool paused, tasks start sorted by priority descending, stable for ties (array model)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(priority, { maxLength: 60 }), async (priorities) => {
        const order: number[] = []
        const pool = createPool({
          concurrency: 1,
          paused: true,
          handler: (i: number) => {
            order.push(i)
          },
        })
        const runs = priorities.map((p, i) => pool.run(i, { priority: p }))
        pool.resume()
        await Promise.all(runs)
        // The model: a stable sort (Array.prototype.sort is stable) on priority, descending.
        const model = priorities
          .map((p, i) => ({ p, i }))
          .sort((a, b) => b.p - a.p)
          .map((x) => x.i)
        expect(order).toEqual(model)
        await pool.close()
      }),
      { numRuns: 200 },
    )
  })

  type Command = { kind: 'push'; priority: number } | { kind: 'finish' }
  const command: fc.Arbitrary<Command> = fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 3 }).map((p): Command => ({ kind: 'push', priority: p })) },
    { weight: 2, arbitrary: fc.constant<Command>({ kind: 'finish' }) },
  )

  it('with pushes and completions interleaved at concurrency 1, each start matches an array-model priority queue', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 80 }), async (commands) => {
        const clock = createVirtualClock()
        const started: number[] = []
        const finishers = new Map<number, () => void>()
        const pool = createPool({
          clock,
          concurrency: 1,
          handler: (i: number) =>
            new Promise<number>((resolve) => {
              started.push(i)
              finishers.set(i, () => resolve(i))
            }),
        })
        // The model: what runs, and the queue as an array in arrival order.
        let running: number | undefined
        const queue: { i: number; p: number }[] = []
        const modelStarts: number[] = []
        const startNext = (): void => {
          if (running !== undefined || queue.length === 0) return
          let best = 0
          for (let k = 1; k < queue.length; k++) if (queue[k]!.p > queue[best]!.p) best = k
          running = queue.splice(best, 1)[0]!.i
          modelStarts.push(running)
        }
        const runs: Promise<number>[] = []
        let next = 0
        for (const cmd of commands) {
          if (cmd.kind === 'push') {
            const i = next++
            runs.push(pool.run(i, { priority: cmd.priority }))
            queue.push({ i, p: cmd.priority })
            startNext()
          } else if (running !== undefined) {
            finishers.get(running)!()
            running = undefined
            startNext()
          }
          await clock.flush()
          expect(started).toEqual(modelStarts)
          expect(pool.stats().queued).toBe(queue.length)
        }
        // Let everything left run out in model order.
        while (running !== undefined) {
          finishers.get(running)!()
          running = undefined
          startNext()
          await clock.flush()
        }
        expect(started).toEqual(modelStarts)
        expect(started).toHaveLength(next)
        await Promise.all(runs)
        await pool.close()
      }),
      { numRuns: 150 },
    )
  })
})

// ---------------------------------------------------------------- (3) counters add up

describe('property: at idle, submitted === completed + failed + cancelled + timedOut + rejected', () => {
  const config = fc.record({
    concurrency: fc.integer({ min: 1, max: 4 }),
    // maxQueue 0 with 'wait' is left out here: see the admission tests.
    maxQueue: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
    onQueueFull: fc.constantFrom<QueueFullPolicy>('reject', 'drop-oldest', 'wait'),
    queueWaitTimeout: fc.option(fc.integer({ min: 0, max: 80 }), { nil: undefined }),
    taskTimeout: fc.option(fc.integer({ min: 1, max: 60 }), { nil: undefined }),
    attempts: fc.integer({ min: 1, max: 3 }),
    deadLetter: fc.boolean(),
  })

  it('for random pools and workloads, and each counter matches what the callers saw', async () => {
    await fc.assert(
      fc.asyncProperty(config, fc.array(taskSpec, { maxLength: 40, size: 'medium' }), async (cfg, specs) => {
        const clock = createVirtualClock()
        let letters = 0
        const pool = createPool<number, number>({
          clock,
          concurrency: cfg.concurrency,
          maxQueue: cfg.maxQueue,
          onQueueFull: cfg.onQueueFull,
          queueWaitTimeout: cfg.queueWaitTimeout,
          taskTimeout: cfg.taskTimeout,
          retry: { attempts: cfg.attempts, backoff: { initialMs: 3, factor: 2, jitter: 0 } },
          deadLetter: cfg.deadLetter ? { put: () => void letters++ } : undefined,
          handler: async (i: number) => {
            await sleep(clock, specs[i]!.duration)
            if (specs[i]!.fails) throw new HandlerError(`task ${i}`)
            return i
          },
        })
        const outcomes = drive(pool, clock, specs, new Set(), new Map())
        await clock.runAll()

        const s = pool.stats()
        expect(s).toMatchObject({ queued: 0, running: 0, delayed: 0, waitingForRoom: 0 })
        const c = s.counters
        expect(c.submitted).toBe(specs.length)
        expect(c.submitted).toBe(c.completed + c.failed + c.cancelled + c.timedOut + c.rejected)
        // Each counter matches the outcomes the callers received.
        const count = (pred: (o: Outcome) => boolean): number => outcomes.filter(pred).length
        expect(outcomes.every((o) => o.settles === 1)).toBe(true)
        expect(c.completed).toBe(count((o) => o.ok === true))
        expect(c.failed).toBe(count((o) => o.error instanceof HandlerError))
        expect(c.timedOut).toBe(count((o) => o.error instanceof TaskTimeoutError))
        expect(c.cancelled).toBe(count((o) => o.error instanceof CancelReason))
        expect(c.rejected).toBe(count((o) => o.error instanceof QueueFullError || o.error instanceof TaskDroppedError))
        // Every task that failed or timed out on its last attempt went to the sink, if there is one.
        expect(c.deadLettered).toBe(cfg.deadLetter ? c.failed + c.timedOut : 0)
        expect(letters).toBe(c.deadLettered)
        if (cfg.attempts === 1) expect(c.retried).toBe(0)
        await pool.close()
        expect(clock.pending).toBe(0)
      }),
      { numRuns: 200 },
    )
  })
})
