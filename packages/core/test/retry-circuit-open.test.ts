// retry.retryCircuitOpen: a task an open circuit refuses (CircuitOpenError,
// whenOpen 'reject') waits for the circuit's retryAt and is offered to the
// breaker again, spending an attempt.
import { describe, expect, it } from 'vitest'
import { CircuitOpenError, createPool, createVirtualClock } from '../src/index.js'
import type { Breaker, BreakerDenial, TaskInfo, VirtualClock } from '../src/index.js'
import { track } from './support.js'

/** A breaker whose circuit is open until `openUntil`: admit (or acquire) refuses before then, and records each call's time. */
function openCircuit(clock: VirtualClock, openUntil: number, at: 'admit' | 'acquire') {
  const calls: string[] = []
  const refuse = (name: string, task: TaskInfo): BreakerDenial | undefined => {
    const now = clock.now()
    calls.push(`${name}@${now}#${task.attempt}`)
    return now < openUntil ? { retryAt: openUntil } : undefined
  }
  const breaker: Breaker = {
    admit: (task) => (at === 'admit' ? refuse('admit', task) : (calls.push(`admit@${clock.now()}#${task.attempt}`), undefined)),
    acquire: (task) => (at === 'acquire' ? refuse('acquire', task) : undefined),
    onSuccess: () => {},
    onFailure: () => {},
    onCancel: () => {},
  }
  return { breaker, calls }
}

describe('retry.retryCircuitOpen', () => {
  it('retries a task refused at submission when the circuit lets probes through, asking admit again and spending an attempt', async () => {
    const clock = createVirtualClock()
    const { breaker, calls } = openCircuit(clock, 500, 'admit')
    const retried: number[] = []
    const pool = createPool<number, number>({
      handler: async (x) => x,
      clock,
      breaker,
      retry: { attempts: 3, retryCircuitOpen: true },
      observers: [{ onRetried: (_p, _t, _e, delayMs) => void retried.push(delayMs) }],
    })
    const run = track(pool.run(7))
    // A millisecond past the circuit's retryAt (500): a timer firing a fraction early would be refused again.
    await clock.advance(500)
    expect(run.status).toBe('pending')
    await clock.advance(1)
    expect(run.value).toBe(7)
    expect(calls).toEqual(['admit@0#1', 'admit@501#2'])
    expect(retried).toEqual([501])
    expect(pool.stats().counters).toMatchObject({ retried: 1, rejected: 0, completed: 1 })
    await pool.close()
  })

  it('retries a task refused at start by acquiring again, without admitting it twice', async () => {
    const clock = createVirtualClock()
    const { breaker, calls } = openCircuit(clock, 200, 'acquire')
    const pool = createPool<number, number>({ handler: async (x) => x, clock, breaker, retry: { attempts: 2, retryCircuitOpen: true } })
    const run = pool.run(1)
    await clock.advance(201)
    expect(await run).toBe(1)
    expect(calls).toEqual(['admit@0#1', 'acquire@0#1', 'acquire@201#2'])
    await pool.close()
  })

  it('rejects with the CircuitOpenError when the option is off, when no attempt is left, or when retryAt is past the deadline', async () => {
    const clock = createVirtualClock()
    const cases = [{ retry: { attempts: 3 } }, { retry: { attempts: 1, retryCircuitOpen: true } }, { retry: { attempts: 3, retryCircuitOpen: true }, deadlineMs: 400 }]
    for (const { retry, deadlineMs } of cases) {
      const { breaker } = openCircuit(clock, clock.now() + 500, 'admit')
      const pool = createPool<number, number>({ handler: async (x) => x, clock, breaker, retry })
      const run = track(pool.run(1, deadlineMs === undefined ? undefined : { deadlineMs }))
      await clock.advance(0)
      expect(run.status).toBe('rejected')
      expect(run.error).toBeInstanceOf(CircuitOpenError)
      expect(pool.stats().counters.rejected).toBe(1)
      await pool.close()
    }
  })

  it('rejects with the CircuitOpenError once the attempts run out while the circuit stays open', async () => {
    const clock = createVirtualClock()
    const admits: number[] = []
    // A circuit that never recovers: each refusal names a probe 100 ms later.
    const breaker: Breaker = {
      admit: () => (admits.push(clock.now()), { retryAt: clock.now() + 100 }),
      acquire: () => undefined,
      onSuccess: () => {},
      onFailure: () => {},
      onCancel: () => {},
    }
    const pool = createPool<number, number>({ handler: async (x) => x, clock, breaker, retry: { attempts: 3, backoff: { initialMs: 10, jitter: 0 }, retryCircuitOpen: true } })
    const run = track(pool.run(1))
    await clock.advance(202)
    expect(run.status).toBe('rejected')
    expect(run.error).toBeInstanceOf(CircuitOpenError)
    expect(admits).toEqual([0, 101, 202])
    expect(pool.stats().counters).toMatchObject({ retried: 2, rejected: 1 })
    await pool.close()
  })

  it('waits at least the backoff when the circuit names no time ahead (half-open with its probes all out)', async () => {
    const clock = createVirtualClock()
    const admits: number[] = []
    const breaker: Breaker = {
      admit: () => (admits.push(clock.now()), admits.length < 3 ? { retryAt: clock.now() } : undefined),
      acquire: () => undefined,
      onSuccess: () => {},
      onFailure: () => {},
      onCancel: () => {},
    }
    const pool = createPool<number, number>({ handler: async (x) => x, clock, breaker, retry: { attempts: 3, backoff: { initialMs: 100, factor: 2, jitter: 0 }, retryCircuitOpen: true } })
    const run = track(pool.run(1))
    await clock.advance(300)
    expect(run.value).toBe(1)
    expect(admits).toEqual([0, 100, 300])
    await pool.close()
  })

  it('lets the caller cancel the wait with its signal', async () => {
    const clock = createVirtualClock()
    const { breaker, calls } = openCircuit(clock, 1_000, 'admit')
    const pool = createPool<number, number>({ handler: async (x) => x, clock, breaker, retry: { attempts: 3, retryCircuitOpen: true } })
    const controller = new AbortController()
    const cancelled = track(pool.run(2, { signal: controller.signal }))
    await clock.advance(10)
    controller.abort(new Error('stop waiting'))
    await clock.advance(0)
    expect(cancelled.status).toBe('rejected')
    expect((cancelled.error as Error).message).toBe('stop waiting')
    await clock.runAll()
    expect(calls).toEqual(['admit@0#1'])
    expect(pool.stats().counters.cancelled).toBe(1)
    await pool.close()
  })
})
