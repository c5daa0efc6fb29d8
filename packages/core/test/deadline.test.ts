// A task's deadline (RunOptions.deadline, deadlineMs): it expires the task while
// it waits (queued, waiting for room, held by a breaker, waiting to retry),
// never starts an attempt past it, and leaves a running attempt to its own
// timeout.
import { describe, expect, it } from 'vitest'
import { createPool, createVirtualClock, DeadlineExceededError, ErrorCode } from '../src/index.js'
import type { Breaker, TaskInfo, TaskOutcome, VirtualClock } from '../src/index.js'
import { sleep, track } from './support.js'

const sleeper = (clock: VirtualClock) => async (ms: number) => {
  await sleep(clock, ms)
  return ms
}

/** Records each task's outcome and the tasks that started, by input. */
function watch() {
  const outcomes: TaskOutcome[] = []
  const started: number[] = []
  return {
    outcomes,
    started,
    observer: {
      onSettled: (_p: unknown, _t: TaskInfo, outcome: TaskOutcome) => void outcomes.push(outcome),
      onStarted: (_p: unknown, task: TaskInfo) => void started.push(task.id),
    },
  }
}

/** A breaker that holds every task at admission until a wake that never comes, recording the calls it gets. */
function holdingForever(): { calls: string[]; breaker: Breaker } {
  const calls: string[] = []
  const breaker: Breaker = {
    admit: () => ({ retryAt: Infinity, hold: true }),
    acquire: () => (calls.push('acquire'), undefined),
    onSuccess: () => void calls.push('success'),
    onFailure: () => void calls.push('failure'),
    onCancel: () => void calls.push('cancel'),
    onSettled: () => void calls.push('settled'),
  }
  return { calls, breaker }
}

describe('a task with a deadline', () => {
  it('fails with DeadlineExceededError when it passes while the task is queued, as timed out, without ever starting it', async () => {
    const clock = createVirtualClock()
    const w = watch()
    const pool = createPool<number, number>({ handler: sleeper(clock), clock, concurrency: 1, observers: [w.observer] })
    const busy = pool.run(1_000)
    const late = track(pool.run(5, { deadlineMs: 300 }))
    await clock.advance(299)
    expect(late.status).toBe('pending')
    expect(pool.stats().queued).toBe(1)
    await clock.advance(1)
    expect(late.status).toBe('rejected')
    const error = late.error as DeadlineExceededError
    expect(error).toBeInstanceOf(DeadlineExceededError)
    expect(error.code).toBe(ErrorCode.DeadlineExceeded)
    expect(error.stage).toBe('queued')
    expect(error.deadlineMs).toBe(300)
    expect(error.message).toBe("The task's deadline passed 300 ms after submission while it was queued")
    expect(pool.stats().queued).toBe(0)
    expect(pool.stats().counters.timedOut).toBe(1)
    await clock.runAll()
    expect(await busy).toBe(1_000)
    expect(w.started).toEqual([1])
    await pool.close()
  })

  it('never starts past it, even when a worker frees up at the very moment it passes (before its timer fires)', async () => {
    const clock = createVirtualClock()
    const w = watch()
    const pool = createPool<number, number>({ handler: sleeper(clock), clock, concurrency: 1, observers: [w.observer] })
    // The running task's timer was set first, so it ends at 100 before the deadline's timer fires at 100.
    const busy = pool.run(100)
    const late = track(pool.run(5, { deadlineMs: 100 }))
    await clock.advance(100)
    expect(await busy).toBe(100)
    expect(late.status).toBe('rejected')
    expect((late.error as DeadlineExceededError).stage).toBe('queued')
    expect(w.started).toEqual([1])
    await pool.close()
  })

  it('fails at once, as "submitted", when it has already passed at submission (deadlineMs 0, or a date in the past)', async () => {
    const clock = createVirtualClock()
    const pool = createPool<number, number>({ handler: sleeper(clock), clock })
    const zero = track(pool.run(1, { deadlineMs: 0 }))
    const past = track(pool.run(1, { deadline: new Date(Date.now() - 1_000) }))
    await clock.advance(0)
    for (const t of [zero, past]) {
      expect(t.status).toBe('rejected')
      expect((t.error as DeadlineExceededError).stage).toBe('submitted')
    }
    expect((zero.error as Error).message).toBe("The task's deadline passed before it was submitted")
    expect(pool.stats().counters.started).toBe(0)
    await pool.close()
  })

  it('takes an absolute deadline as a Date or epoch milliseconds, converted to the pool clock at submission', async () => {
    const clock = createVirtualClock()
    const pool = createPool<number, number>({ handler: sleeper(clock), clock, concurrency: 1 })
    const busy = pool.run(10_000)
    const byNumber = track(pool.run(1, { deadline: Date.now() + 2_000 }))
    const byDate = track(pool.run(1, { deadline: new Date(Date.now() + 4_000) }))
    await clock.advance(1_900)
    expect([byNumber.status, byDate.status]).toEqual(['pending', 'pending'])
    await clock.advance(200)
    expect(byNumber.status).toBe('rejected')
    expect(byDate.status).toBe('pending')
    await clock.advance(2_000)
    expect(byDate.status).toBe('rejected')
    await clock.runAll()
    await busy
    await pool.close()
  })

  it('expires a task waiting for room in a full queue', async () => {
    const clock = createVirtualClock()
    const pool = createPool<number, number>({ handler: sleeper(clock), clock, concurrency: 1, maxQueue: 1, onQueueFull: 'wait' })
    const runs = [pool.run(1_000), pool.run(1_000)]
    const waiting = track(pool.run(1, { deadlineMs: 50 }))
    await clock.advance(50)
    expect(waiting.status).toBe('rejected')
    expect((waiting.error as DeadlineExceededError).stage).toBe('queued')
    await clock.runAll()
    await Promise.all(runs)
    await pool.close()
  })

  it('expires a task a breaker holds, as "held", and tells the breaker it settled without ever acquiring', async () => {
    const clock = createVirtualClock()
    const { calls, breaker } = holdingForever()
    const pool = createPool<number, number>({ handler: sleeper(clock), clock, breaker })
    const held = track(pool.run(1, { deadlineMs: 500 }))
    await clock.advance(500)
    expect(held.status).toBe('rejected')
    expect((held.error as DeadlineExceededError).stage).toBe('held')
    expect((held.error as Error).message).toBe("The task's deadline passed 500 ms after submission while a breaker held it")
    expect(calls).toEqual(['settled'])
    expect(pool.stats().counters.timedOut).toBe(1)
    await pool.close()
  })

  it('leaves a running attempt to its own timeout: it completes past the deadline, its signal untouched', async () => {
    const clock = createVirtualClock()
    let aborted: boolean | undefined
    const pool = createPool<number, number>({
      clock,
      handler: async (ms, { signal }) => {
        await sleep(clock, ms)
        aborted = signal.aborted
        return ms
      },
    })
    const run = pool.run(1_000, { deadlineMs: 100 })
    await clock.advance(1_000)
    expect(await run).toBe(1_000)
    expect(aborted).toBe(false)
    await pool.close()
  })

  it('does not retry an attempt that fails past the deadline: the task fails with that attempt’s error', async () => {
    const clock = createVirtualClock()
    let attempts = 0
    const pool = createPool<number, number>({
      clock,
      retry: { attempts: 5, backoff: { initialMs: 10, jitter: 0 } },
      handler: async (ms) => {
        attempts++
        await sleep(clock, ms)
        throw new Error(`attempt ${attempts} failed`)
      },
    })
    const run = track(pool.run(300, { deadlineMs: 200 }))
    await clock.runAll()
    expect(run.status).toBe('rejected')
    expect((run.error as Error).message).toBe('attempt 1 failed')
    expect(attempts).toBe(1)
    await pool.close()
  })

  it('schedules no retry whose backoff would end past the deadline, and retries one that ends before it', async () => {
    const clock = createVirtualClock()
    let attempts = 0
    const pool = createPool<number, number>({
      clock,
      retry: { attempts: 3, backoff: { initialMs: 100, factor: 1, jitter: 0 } },
      handler: async () => {
        attempts++
        await sleep(clock, 50)
        throw new Error(`attempt ${attempts} failed`)
      },
    })
    // Attempt 1 fails at 50, the retry waits to 150 and fails at 200; a second retry would wait to 300, past 250.
    const run = track(pool.run(0, { deadlineMs: 250 }))
    await clock.advance(200)
    expect(run.status).toBe('rejected')
    expect((run.error as Error).message).toBe('attempt 2 failed')
    expect(attempts).toBe(2)
    expect(pool.stats().counters.retried).toBe(1)
    await pool.close()
  })

  it('clears its timer once the task settles, so a finished pool leaves no timer behind', async () => {
    const clock = createVirtualClock()
    const pool = createPool<number, number>({ handler: sleeper(clock), clock, concurrency: 2 })
    const runs = [pool.run(10, { deadlineMs: 60_000 }), pool.run(10, { deadline: Date.now() + 60_000 })]
    await clock.advance(10)
    expect(await Promise.all(runs)).toEqual([10, 10])
    expect(clock.pending).toBe(0)
    await pool.close()
  })

  it('shows observers and breakers when it passes (TaskInfo.expiresAt, on the pool clock)', async () => {
    const clock = createVirtualClock()
    await clock.advance(1_000)
    const seen: (number | undefined)[] = []
    const pool = createPool<number, number>({ handler: async (x) => x, clock, observers: [{ onSubmitted: (_p, task) => void seen.push(task.expiresAt) }] })
    await pool.run(1, { deadlineMs: 250 })
    await pool.run(1)
    expect(seen).toEqual([1_250, undefined])
    await pool.close()
  })
})

describe('a task with a deadline held by a breaker', () => {
  it('keeps its whole timeout for the attempt: the hold counts toward the deadline, not the timeout', async () => {
    const clock = createVirtualClock()
    let open = true
    let wake: ((key: string | undefined) => void) | undefined
    const breaker: Breaker = {
      attach: (w) => void (wake = w),
      admit: () => (open ? { retryAt: Infinity, hold: true } : undefined),
      acquire: () => undefined,
      onSuccess: () => {},
      onFailure: () => {},
      onCancel: () => {},
    }
    const pool = createPool<number, number>({ handler: sleeper(clock), clock, breaker, taskTimeout: 500 })
    // Held for 800 ms (past its 500 ms timeout), then runs 400 ms: inside its timeout, and its deadline of 2 s.
    const withDeadline = track(pool.run(400, { deadlineMs: 2_000 }))
    const without = track(pool.run(400))
    await clock.advance(800)
    expect(without.status).toBe('rejected')
    expect((without.error as Error).name).toBe('TaskTimeoutError')
    open = false
    wake!(undefined)
    await clock.advance(400)
    expect(withDeadline.status).toBe('fulfilled')
    expect(withDeadline.value).toBe(400)
    await pool.close()
  })
})

describe('a task with a deadline and minTimeLeftMs', () => {
  it('fails while queued once less than minTimeLeftMs is left, naming it, and never starts with less', async () => {
    const clock = createVirtualClock()
    const w = watch()
    const pool = createPool<number, number>({ handler: sleeper(clock), clock, concurrency: 1, observers: [w.observer] })
    const busy = pool.run(260)
    // Deadline at 300; a worker frees up at 260, with 40 ms left: less than the 50 it needs.
    const late = track(pool.run(5, { deadlineMs: 300, minTimeLeftMs: 50 }))
    // Deadline at 400: 140 ms left at 260, so it starts.
    const inTime = track(pool.run(5, { deadlineMs: 400, minTimeLeftMs: 50 }))
    await clock.advance(249)
    expect(late.status).toBe('pending')
    await clock.advance(1)
    expect(late.status).toBe('rejected')
    const error = late.error as DeadlineExceededError
    expect(error.stage).toBe('queued')
    expect(error.deadlineMs).toBe(300)
    expect(error.minTimeLeftMs).toBe(50)
    expect(error.message).toBe("The task's deadline 300 ms after submission was less than 50 ms away (its minTimeLeftMs) while it was queued")
    await clock.runAll()
    expect(await busy).toBe(260)
    expect(inTime.status).toBe('fulfilled')
    expect(w.started).toEqual([1, 3])
    await pool.close()
  })

  it('never starts a task that a worker takes after its last moment to start but before its timer fires', async () => {
    const clock = createVirtualClock()
    const w = watch()
    const pool = createPool<number, number>({ handler: sleeper(clock), clock, concurrency: 1, observers: [w.observer] })
    // The running task's timer was set first: it ends at 100, the moment the second one may no longer start.
    const busy = pool.run(100)
    const late = track(pool.run(5, { deadlineMs: 120, minTimeLeftMs: 20 }))
    await clock.advance(100)
    expect(late.status).toBe('rejected')
    expect(w.started).toEqual([1])
    expect(await busy).toBe(100)
    await pool.close()
  })

  it('takes no token from a breaker that holds it: it fails as "held" when the time left falls under minTimeLeftMs', async () => {
    const clock = createVirtualClock()
    const { calls, breaker } = holdingForever()
    const pool = createPool<number, number>({ handler: sleeper(clock), clock, breaker })
    const held = track(pool.run(1, { deadlineMs: 500, minTimeLeftMs: 100 }))
    await clock.advance(400)
    expect(held.status).toBe('rejected')
    expect((held.error as DeadlineExceededError).stage).toBe('held')
    expect(calls).toEqual(['settled'])
    await pool.close()
  })

  it('schedules no retry that would start with less than minTimeLeftMs left', async () => {
    const clock = createVirtualClock()
    let attempts = 0
    const pool = createPool<number, number>({
      clock,
      retry: { attempts: 3, backoff: { initialMs: 100, factor: 1, jitter: 0 } },
      handler: async () => {
        attempts++
        await sleep(clock, 50)
        throw new Error(`attempt ${attempts} failed`)
      },
    })
    // Attempt 1 fails at 50; a retry would start at 150 with 50 ms left, under the 60 it needs.
    const run = track(pool.run(0, { deadlineMs: 200, minTimeLeftMs: 60 }))
    await clock.advance(50)
    expect(run.status).toBe('rejected')
    expect((run.error as Error).message).toBe('attempt 1 failed')
    expect(attempts).toBe(1)
    expect(pool.stats().counters.retried).toBe(0)
    await pool.close()
  })

  it('fails at submission when the deadline is already less than minTimeLeftMs away, and is refused without a deadline', async () => {
    const clock = createVirtualClock()
    const pool = createPool<number, number>({ handler: sleeper(clock), clock })
    const soon = track(pool.run(1, { deadlineMs: 30, minTimeLeftMs: 30 }))
    await clock.advance(0)
    expect(soon.status).toBe('rejected')
    expect((soon.error as DeadlineExceededError).stage).toBe('submitted')
    await expect(pool.run(1, { minTimeLeftMs: 10 })).rejects.toThrow(
      'options.minTimeLeftMs needs options.deadline or options.deadlineMs (it is the least time before the deadline worth starting with), got 10 without a deadline',
    )
    await expect(pool.run(1, { deadlineMs: 100, minTimeLeftMs: -1 })).rejects.toThrow(/options\.minTimeLeftMs/)
    await pool.close()
  })
})
