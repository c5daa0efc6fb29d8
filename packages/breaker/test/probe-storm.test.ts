import { createPool, createVirtualClock } from '@poolkit/core'
import type { TaskContext, VirtualClock } from '@poolkit/core'
import { describe, expect, it } from 'vitest'
import { combine, createBulkhead, createCircuitBreaker } from '../src/index.js'
import type { CircuitBreakerOptions, CircuitEvent } from '../src/index.js'
import { task } from './task.js'

// The gateway's half-open probe storm (issue 23). A provider hangs; callers'
// signals abort 2 s after they asked; attempts time out after 1 s and are
// retried; the circuit holds the tasks of an open circuit. The probe used to
// be the oldest held task, close to its caller's deadline: cancelled
// mid-probe, it gave its place back uncounted, and the next held task went
// through, and the next, so most requests reached the provider after the trip.

/** A handler that never answers: it records each call and rejects only when its attempt is cut (timeout or caller), as a fetch given the signal does. */
function hangingProvider(clock: VirtualClock) {
  const calls: { input: number; at: number }[] = []
  const handler = (input: number, ctx: TaskContext): Promise<never> => {
    calls.push({ input, at: clock.now() })
    return new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)))
  }
  return { calls, handler }
}

/** A breaker on `clock` with its events recorded as `to:reason@at`. */
function breakerWithEvents(clock: VirtualClock, options: CircuitBreakerOptions) {
  const breaker = createCircuitBreaker({ clock, whenOpen: 'hold', ...options })
  const events: CircuitEvent[] = []
  for (const name of ['open', 'half-open', 'close'] as const) breaker.on(name, (e) => void events.push(e))
  const log = (): string[] => events.map((e) => `${e.to}:${e.reason}@${e.at}`)
  return { breaker, events, log }
}

/** A caller's signal that aborts at `at` on the virtual clock. */
function deadline(clock: VirtualClock, at: number): AbortSignal {
  const controller = new AbortController()
  clock.setTimeout(() => controller.abort(new Error('deadline')), at - clock.now())
  return controller.signal
}

describe('circuit breaker: no half-open probe storm with whenOpen hold', () => {
  it('gateway storm: against a hanging provider (2 s caller deadlines, 1 s attempt timeouts, retries), each half-open lets exactly one call through and the circuit never closes', async () => {
    const clock = createVirtualClock()
    const { breaker, events, log } = breakerWithEvents(clock, { failureThreshold: 5, openMs: 2000 })
    const { calls, handler } = hangingProvider(clock)
    const pool = createPool({ handler, clock, concurrency: 100, breaker, taskTimeout: 1000, retry: { attempts: 3, backoff: { initialMs: 100, jitter: 0 } } })
    const settled: Promise<unknown>[] = []
    // 240 requests, one every 50 ms for 12 s.
    for (let i = 0; i < 240; i++) {
      settled.push(pool.run(i, { signal: deadline(clock, clock.now() + 2000) }).catch((e: unknown) => e))
      await clock.advance(50)
    }
    await clock.advance(5000)
    await Promise.all(settled)
    await pool.close()

    const trip = events[0]!
    expect(log()[0]).toBe('open:consecutive-failures@1200')
    const afterTrip = calls.filter((c) => c.at > trip.at)
    const halfOpens = events.filter((e) => e.to === 'half-open')
    // halfOpenMax 1: one call per half-open, none in between (before the fix: 21 calls for 5 half-opens).
    expect(afterTrip).toHaveLength(halfOpens.length)
    expect(halfOpens.length).toBe(4)
    for (const [i, h] of halfOpens.entries()) expect(afterTrip[i]!.at).toBe(h.at)
    // Every probe failed (timed out), so every half-open reopened; the circuit never closed.
    expect(events.filter((e) => e.to === 'closed')).toEqual([])
    expect(events.filter((e) => e.from === 'half-open').every((e) => e.to === 'open' && e.reason === 'probe-failed')).toBe(true)
    expect(breaker.counts().trips).toBe(events.filter((e) => e.to === 'open').length)
    // Each probe was the request asked last before the circuit half-opened (request i is asked at i * 50 ms),
    // not a held one close to its caller's deadline: it ran until its own timeout, 950 ms.
    expect(afterTrip.map((c) => c.input)).toEqual(halfOpens.map((h) => Math.min(239, Math.ceil(h.at / 50) - 1)))
    expect(log().slice(0, 3)).toEqual(['open:consecutive-failures@1200', 'half-open:open-elapsed@3200', 'open:probe-failed@4150'])
    expect(clock.pending).toBe(0)
  })

  it('a probe cancelled by its caller keeps its place: the held tasks behind it never reach the provider, and cancelledProbeMs after the probe started the circuit reopens (reason probe-cancelled)', async () => {
    const clock = createVirtualClock()
    const { breaker, log } = breakerWithEvents(clock, { failureThreshold: 1, openMs: 1000, cancelledProbeMs: 500 })
    const { calls, handler } = hangingProvider(clock)
    const pool = createPool({ handler: (input: number, ctx: TaskContext) => (input < 0 ? Promise.reject(new Error('down')) : handler(input, ctx)), clock, concurrency: 10, breaker })
    await pool.run(-1).catch(() => undefined) // trips at 0, open until 1000
    // Ten held tasks; the younger the task, the sooner its caller gives up, so every probe is cancelled.
    const settled: Promise<unknown>[] = []
    for (let i = 0; i < 10; i++) {
      await clock.advance(10)
      settled.push(pool.run(i, { signal: deadline(clock, 1500 - 40 * i) }).catch((e: unknown) => e))
    }
    await clock.advance(1100 - clock.now()) // half-open at 1000: task 9 probes and is cancelled at 1140
    expect(calls).toEqual([{ input: 9, at: 1000 }])
    expect(breaker.state()).toBe('half-open')
    await clock.advance(400) // 1500: every caller has given up; the cancelled probe still holds its place
    expect(calls).toHaveLength(1)
    // Nobody is left to look: the circuit reopens at the next look, as of the time the probe was due.
    expect(breaker.counts()).toMatchObject({ state: 'open', openUntil: 2500, trips: 2, calls: 1 })
    expect(log()).toEqual(['open:consecutive-failures@0', 'half-open:open-elapsed@1000', 'open:probe-cancelled@1500'])
    await Promise.all(settled)
    await pool.close()
    expect(clock.pending).toBe(0)
  })

  it("the youngest held task is the probe, as it has the most of its caller's time left; the older ones wait for its outcome", async () => {
    const clock = createVirtualClock()
    const { breaker } = breakerWithEvents(clock, { failureThreshold: 1, openMs: 1000 })
    const started: number[] = []
    const pool = createPool({
      handler: (input: number) => {
        started.push(input)
        return new Promise<number>((resolve, reject) => clock.setTimeout(() => (input < 0 ? reject(new Error('down')) : resolve(input)), 100))
      },
      clock,
      concurrency: 10,
      breaker,
    })
    const failed = pool.run(-1).catch(() => undefined)
    await clock.advance(100)
    await failed
    const results = [1, 2, 3].map((i) => pool.run(i, { signal: deadline(clock, 5000) }))
    await clock.advance(1000) // 1100: half-open
    expect(started).toEqual([-1, 3])
    await clock.advance(100) // the probe closes the circuit; the others run
    await clock.advance(100)
    await expect(Promise.all(results)).resolves.toEqual([1, 2, 3])
    expect(started).toEqual([-1, 3, 1, 2])
    await pool.close()
  })

  it('a probe cancelled before it ran (a later policy of combine() refused it) gives its place back at once', async () => {
    const clock = createVirtualClock()
    const { breaker } = breakerWithEvents(clock, { failureThreshold: 1, openMs: 100, whenOpen: 'reject' })
    const full = createBulkhead({ defaultLimit: 0 })
    const both = combine(breaker, full)
    const t = task()
    breaker.acquire(t)
    breaker.onFailure(t, new Error('down'), 1)
    await clock.advance(100)
    expect(both.acquire(task())).toMatchObject({ hold: true }) // the breaker granted the probe, the bulkhead refused
    expect(breaker.acquire(task())).toBeUndefined() // the place came back
  })

  it('a probe cancelled while it ran frees nothing until cancelledProbeMs after its start; cancelledProbeMs 0 reopens at the next look', async () => {
    const clock = createVirtualClock()
    for (const [cancelledProbeMs, reopenAt] of [
      [300, 400],
      [0, 150], // due at its start, but never before the cancellation: reopens as of then
    ] as const) {
      const { breaker, log } = breakerWithEvents(clock, { failureThreshold: 1, openMs: 100, whenOpen: 'reject', cancelledProbeMs })
      const start = clock.now()
      const t = task()
      breaker.acquire(t)
      breaker.onFailure(t, new Error('down'), 1)
      await clock.advance(100)
      const probe = task()
      expect(breaker.acquire(probe)).toBeUndefined()
      Object.assign(probe, { startedAt: clock.now(), endedAt: clock.now() + 50 }) // as the pool starts and aborts it
      await clock.advance(50)
      breaker.onCancel(probe)
      const refused = breaker.acquire(task())
      if (cancelledProbeMs > 0) {
        expect(refused).toMatchObject({ retryAt: start + reopenAt })
        await clock.advance(start + reopenAt - clock.now() - 1)
        expect(breaker.state()).toBe('half-open')
        await clock.advance(1)
      }
      expect(breaker.state()).toBe('open')
      expect(log().at(-1)).toBe(`open:probe-cancelled@${start + reopenAt}`)
      await clock.advance(1000)
    }
  })

  it.each([[-1], [Infinity], ['1s']])('rejects cancelledProbeMs %s with a message naming the option and the value', (value) => {
    expect(() => createCircuitBreaker({ cancelledProbeMs: value as number })).toThrow(TypeError)
    expect(() => createCircuitBreaker({ cancelledProbeMs: value as number })).toThrow(
      `options.cancelledProbeMs must be a finite non-negative number of milliseconds, got ${value === '1s' ? '"1s"' : String(value)}`,
    )
  })
})

describe('circuit breaker with whenOpen hold in combine(): a probe another policy refuses', () => {
  it('a probe a full bulkhead refuses gives its place back without waking the key into the same dispatch; the held tasks run once the bulkhead frees', async () => {
    const clock = createVirtualClock()
    const circuit = createCircuitBreaker({ clock, failureThreshold: 1, openMs: 100, whenOpen: 'hold' })
    const bulkhead = createBulkhead({ limits: { slow: 1 } })
    const order: string[] = []
    const pool = createPool({
      handler: (input: { id: string; ms: number; fail?: boolean }) =>
        new Promise<string>((resolve, reject) =>
          clock.setTimeout(() => {
            order.push(`${input.id}@${clock.now()}`)
            if (input.fail === true) reject(new Error('down'))
            else resolve(input.id)
          }, input.ms),
        ),
      clock,
      concurrency: 10,
      breaker: combine(circuit, bulkhead),
    })
    const long = pool.run({ id: 'L', ms: 1000 }, { key: 'slow' }) // holds the bulkhead's one place for 'slow'
    const failed = pool.run({ id: 'F', ms: 10, fail: true }, { key: 'x' }).catch(() => 'F failed') // opens the circuit at 10
    await clock.advance(20)
    const held = ['T1', 'T2', 'T3'].map((id) => pool.run({ id, ms: 10 }, { key: 'slow' }))
    await clock.advance(100) // 120: half-open; T3 is granted the probe, the bulkhead refuses it: no loop, nothing runs
    expect(circuit.state()).toBe('half-open')
    expect(pool.stats().running).toBe(1)
    await clock.advance(880) // 1000: L ends, the bulkhead wakes 'slow': T3, the youngest, probes
    for (let i = 0; i < 3; i++) await clock.advance(10)
    await expect(Promise.all([long, failed, ...held])).resolves.toEqual(['L', 'F failed', 'T1', 'T2', 'T3'])
    // One probe, then the rest once it closed the circuit; the bulkhead's limit of 1 held throughout.
    expect(order).toEqual(['F@10', 'L@1000', 'T3@1010', 'T1@1020', 'T2@1030'])
    expect(circuit.state()).toBe('closed')
    await pool.close()
    expect(clock.pending).toBe(0)
  })
})

describe('circuit breaker: which held task probes', () => {
  it("with deadlines (core's TaskInfo.expiresAt, where the pool gives it), the held task with the latest deadline probes, whatever its age, and one without a deadline before any", async () => {
    const clock = createVirtualClock()
    const { breaker } = breakerWithEvents(clock, { failureThreshold: 1, openMs: 1000 })
    const opener = task()
    breaker.acquire(opener)
    breaker.onFailure(opener, new Error('down'), 1)
    const withDeadline = (submittedAt: number, expiresAt: number | undefined) => ({ ...task(undefined, -1, submittedAt), expiresAt })
    const late = withDeadline(10, 5000)
    const soon = withDeadline(20, 1200)
    const sooner = withDeadline(30, 1100)
    for (const t of [late, soon, sooner]) expect(breaker.acquire(t)).toMatchObject({ hold: true })
    await clock.advance(1000)
    expect(breaker.acquire(soon)).toMatchObject({ hold: true }) // kept for the task with the most time left
    expect(breaker.acquire(sooner)).toMatchObject({ hold: true })
    expect(breaker.acquire(late)).toBeUndefined()
    // A task without a deadline has the most time of all.
    breaker.onFailure(late, new Error('down'), 1) // re-opens until 2000
    const none = withDeadline(5, undefined)
    const far = withDeadline(40, 99_999)
    for (const t of [far, none]) expect(breaker.acquire(t)).toMatchObject({ hold: true })
    await clock.advance(1000)
    expect(breaker.acquire(far)).toMatchObject({ hold: true })
    expect(breaker.acquire(none)).toBeUndefined()
  })
})
