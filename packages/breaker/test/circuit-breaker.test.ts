import { CircuitOpenError, createPool, createVirtualClock, TaskTimeoutError } from '@poolkit/core'
import type { TaskInfo, VirtualClock } from '@poolkit/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createCircuitBreaker } from '../src/index.js'
import type { CircuitBreakerOptions, CircuitEvent } from '../src/index.js'
import { task } from './task.js'

class HttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`)
  }
}

/** A breaker on a virtual clock, its events, and shorthands to run calls through it the way a pool does. */
function setup(options: CircuitBreakerOptions = {}) {
  const clock = createVirtualClock()
  const breaker = createCircuitBreaker({ clock, ...options })
  const events: CircuitEvent[] = []
  for (const name of ['open', 'half-open', 'close'] as const) breaker.on(name, (e) => void events.push(e))
  /** Acquires for a new task: the task when let through, undefined when denied. */
  const start = (key?: string): TaskInfo | undefined => {
    const t = task(key)
    return breaker.acquire(t) === undefined ? t : undefined
  }
  /** Acquires for a new task that must be let through. */
  const begin = (key?: string): TaskInfo => {
    const t = task(key)
    expect(breaker.acquire(t)).toBeUndefined()
    return t
  }
  const succeed = (key?: string, runMs = 1): void => breaker.onSuccess(begin(key), runMs)
  const fail = (key?: string, error: unknown = new Error('down'), runMs = 1): void => void breaker.onFailure(begin(key), error, runMs)
  const reasons = (): (string | undefined)[] => events.map((e) => `${e.from}>${e.to}:${e.reason}`)
  return { clock, breaker, events, start, begin, succeed, fail, reasons }
}

/** A handler that takes `ms` of virtual time, then returns its id or throws `fail`. */
const timed =
  (clock: VirtualClock) =>
  (input: { id: string; ms: number; fail?: unknown }): Promise<string> =>
    new Promise((resolve, reject) => clock.setTimeout(() => (input.fail !== undefined ? reject(input.fail) : resolve(input.id)), input.ms))

type Settled = { ok: true; value: unknown } | { ok: false; error: unknown }
const settle = (p: Promise<unknown>): Promise<Settled> =>
  p.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  )

afterEach(() => {
  vi.restoreAllMocks()
})

describe('createCircuitBreaker: closed to open', () => {
  it('opens after failureThreshold failures in a row, with reason consecutive-failures and openUntil = now + openMs', async () => {
    const { clock, breaker, fail, events } = setup({ failureThreshold: 3, openMs: 1000 })
    await clock.advance(50)
    fail()
    fail()
    expect(breaker.state()).toBe('closed')
    fail()
    expect(breaker.state()).toBe('open')
    expect(events).toEqual([{ key: undefined, from: 'closed', to: 'open', at: 50, openUntil: 1050, reason: 'consecutive-failures' }])
    expect(breaker.counts()).toMatchObject({ state: 'open', calls: 3, failures: 3, trips: 1, openUntil: 1050 })
  })

  it('a success between failures starts the run of failures again', () => {
    const { breaker, succeed, fail } = setup({ failureThreshold: 2 })
    fail()
    succeed()
    fail()
    expect(breaker.state()).toBe('closed')
    fail()
    expect(breaker.state()).toBe('open')
  })

  it('failureThreshold Infinity never trips on failures in a row', () => {
    const { breaker, fail } = setup({ failureThreshold: Infinity })
    for (let i = 0; i < 500; i++) fail()
    expect(breaker.state()).toBe('closed')
    expect(breaker.counts().failures).toBe(500)
  })

  it('opens when the failure rate over the window reaches failureRateThreshold, with reason failure-rate', () => {
    const { breaker, succeed, fail, reasons } = setup({ failureThreshold: Infinity, failureRateThreshold: 0.5, minimumCalls: 4, window: { type: 'count', size: 10 } })
    succeed()
    fail()
    succeed()
    expect(breaker.counts()).toMatchObject({ windowCalls: 3, windowFailureRate: 1 / 3 })
    fail() // 2 of 4
    expect(breaker.state()).toBe('open')
    expect(reasons()).toEqual(['closed>open:failure-rate'])
  })

  it('does not trip on the rate before minimumCalls calls are in the window', () => {
    const { breaker, succeed, fail } = setup({ failureThreshold: Infinity, failureRateThreshold: 0.5, minimumCalls: 5 })
    fail()
    fail()
    fail()
    fail()
    expect(breaker.counts()).toMatchObject({ state: 'closed', windowCalls: 4, windowFailureRate: 1 })
    succeed() // 4 of 5 failed, and now there are enough calls: even a success can trip it
    expect(breaker.state()).toBe('open')
  })

  it('consecutive failures trip first when both triggers are met by the same failure', () => {
    const { fail, reasons } = setup({ failureThreshold: 2, failureRateThreshold: 0.5, minimumCalls: 2 })
    fail()
    fail()
    expect(reasons()).toEqual(['closed>open:consecutive-failures'])
  })

  it('count window: the oldest call leaves the window when a new one comes past size', () => {
    const { breaker, succeed, fail } = setup({ failureThreshold: Infinity, failureRateThreshold: 0.75, minimumCalls: 4, window: { type: 'count', size: 4 } })
    fail()
    fail()
    succeed()
    succeed()
    expect(breaker.counts()).toMatchObject({ windowCalls: 4, windowFailureRate: 0.5 })
    succeed()
    succeed()
    // The two failures left the window.
    expect(breaker.counts()).toMatchObject({ windowCalls: 4, windowFailureRate: 0 })
    fail()
    fail()
    expect(breaker.state()).toBe('closed')
    fail() // [S F F F]: 3 of 4
    expect(breaker.state()).toBe('open')
    expect(breaker.counts().calls).toBe(9)
  })

  it('time window: calls leave the window ms after they were recorded', async () => {
    const { clock, breaker, succeed, fail } = setup({ failureThreshold: Infinity, failureRateThreshold: 0.6, minimumCalls: 2, window: { type: 'time', ms: 1000 } })
    succeed()
    succeed()
    succeed()
    await clock.advance(600)
    fail()
    fail()
    expect(breaker.counts()).toMatchObject({ state: 'closed', windowCalls: 5, windowFailureRate: 0.4 })
    await clock.advance(399)
    expect(breaker.counts().windowCalls).toBe(5)
    await clock.advance(1) // t = 1000: the successes of t = 0 leave
    expect(breaker.counts()).toMatchObject({ windowCalls: 2, windowFailureRate: 1 })
    fail() // 3 of 3; the six calls together would be 3 of 6, under the threshold
    expect(breaker.state()).toBe('open')
    await clock.advance(600)
    expect(breaker.counts()).toMatchObject({ windowCalls: 1 })
  })

  it('time window longer than 2 s: calls are kept in slices of ms/1000, so a call may leave up to one slice early', async () => {
    const { clock, breaker, succeed } = setup({ window: { type: 'time', ms: 60_000 } })
    await clock.advance(90) // slices of 60 ms: this call falls in the slice starting at 60
    succeed()
    await clock.advance(60_000 - 30 - 1) // t = 60_059
    expect(breaker.counts().windowCalls).toBe(1)
    await clock.advance(1) // t = 60_060: the slice's start is 60 s old
    expect(breaker.counts().windowCalls).toBe(0)
  })

  it('a success slower than slowCallMs counts as a slow call, and slow calls trip like failures', () => {
    const { breaker, succeed, reasons } = setup({ failureThreshold: 3, slowCallMs: 100 })
    succeed(undefined, 100) // exactly slowCallMs is not slow
    expect(breaker.counts()).toMatchObject({ successes: 1, slowCalls: 0 })
    succeed(undefined, 101)
    succeed(undefined, 500)
    expect(breaker.counts()).toMatchObject({ successes: 1, slowCalls: 2, failures: 0, state: 'closed' })
    succeed(undefined, 101)
    expect(breaker.state()).toBe('open')
    expect(reasons()).toEqual(['closed>open:consecutive-failures'])
  })

  it('slow calls count in the failure rate', () => {
    const { breaker, succeed } = setup({ failureThreshold: Infinity, slowCallMs: 10, failureRateThreshold: 0.5, minimumCalls: 2 })
    succeed(undefined, 5)
    succeed(undefined, 50)
    expect(breaker.counts()).toMatchObject({ windowFailureRate: 0.5, state: 'open' })
  })

  it('an error isFailure returns false for (a 4xx) counts as a success and ends the run of failures', () => {
    const isFailure = vi.fn((error: unknown) => !(error instanceof HttpError && error.status < 500))
    const { breaker, fail } = setup({ failureThreshold: 2, isFailure })
    fail(undefined, new HttpError(503))
    fail(undefined, new HttpError(404))
    fail(undefined, new HttpError(503))
    expect(breaker.state()).toBe('closed')
    expect(breaker.counts()).toMatchObject({ calls: 3, failures: 2, successes: 1 })
    expect(isFailure).toHaveBeenCalledWith(new HttpError(404))
    for (let i = 0; i < 10; i++) fail(undefined, new HttpError(400))
    expect(breaker.state()).toBe('closed')
  })

  it('an isFailure that throws counts the error as a failure and rethrows in a microtask', () => {
    const later: (() => void)[] = []
    vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((cb) => void later.push(cb))
    const { breaker, fail } = setup({
      failureThreshold: 1,
      isFailure: () => {
        throw new Error('bad predicate')
      },
    })
    fail()
    expect(breaker.state()).toBe('open')
    expect(later).toHaveLength(1)
    expect(() => later[0]!()).toThrow('bad predicate')
  })

  it('cancelled calls never count, however many', () => {
    const { breaker, begin, fail } = setup({ failureThreshold: 2 })
    fail()
    for (let i = 0; i < 10; i++) breaker.onCancel(begin())
    expect(breaker.counts()).toMatchObject({ state: 'closed', calls: 1, failures: 1, windowCalls: 1 })
    fail()
    expect(breaker.state()).toBe('open')
  })

  it('reports for tasks it never let through are ignored', () => {
    const { breaker } = setup({ failureThreshold: 1 })
    breaker.onFailure(task(), new Error('x'), 1)
    breaker.onSuccess(task(), 1)
    breaker.onCancel(task())
    expect(breaker.counts()).toMatchObject({ state: 'closed', calls: 0 })
  })
})

describe('createCircuitBreaker: open, half-open and back', () => {
  it('stays open for openMs, then half-opens at the next look, with reason open-elapsed', async () => {
    const { clock, breaker, fail, start, events } = setup({ failureThreshold: 1, openMs: 1000 })
    fail()
    await clock.advance(999)
    expect(breaker.state()).toBe('open')
    expect(start()).toBeUndefined()
    await clock.advance(1)
    expect(events).toHaveLength(1)
    expect(breaker.state()).toBe('half-open')
    expect(events[1]).toEqual({ key: undefined, from: 'open', to: 'half-open', at: 1000, openUntil: -1, reason: 'open-elapsed' })
  })

  it('half-opens lazily at the first admit or acquire after openUntil too', async () => {
    const { clock, breaker, fail, reasons } = setup({ failureThreshold: 1, openMs: 100 })
    fail()
    await clock.advance(250)
    expect(breaker.admit(task())).toBeUndefined()
    expect(reasons()).toEqual(['closed>open:consecutive-failures', 'open>half-open:open-elapsed'])
    expect(breaker.counts().state).toBe('half-open')
  })

  it('closes after successThreshold probe successes, with reason probes-succeeded, and clears the window and the run of failures', async () => {
    const { clock, breaker, succeed, fail, reasons } = setup({ failureThreshold: 2, openMs: 10, successThreshold: 2 })
    fail()
    fail()
    await clock.advance(10)
    succeed()
    expect(breaker.state()).toBe('half-open')
    succeed()
    expect(breaker.state()).toBe('closed')
    expect(reasons()).toEqual(['closed>open:consecutive-failures', 'open>half-open:open-elapsed', 'half-open>closed:probes-succeeded'])
    // Totals stay; the window and the run of failures start over.
    expect(breaker.counts()).toMatchObject({ calls: 4, failures: 2, successes: 2, trips: 1, windowCalls: 0, openUntil: -1 })
    fail()
    expect(breaker.state()).toBe('closed')
  })

  it('a probe failure opens it again, with reason probe-failed', async () => {
    const { clock, breaker, succeed, fail, reasons, events } = setup({ failureThreshold: 1, openMs: 100, successThreshold: 3 })
    fail()
    await clock.advance(100)
    succeed()
    succeed()
    fail()
    expect(breaker.state()).toBe('open')
    expect(reasons().at(-1)).toBe('half-open>open:probe-failed')
    expect(events.at(-1)).toMatchObject({ at: 100, openUntil: 200 })
    expect(breaker.counts().trips).toBe(2)
  })

  it('a slow probe counts as a failed probe', async () => {
    const { clock, breaker, succeed, fail } = setup({ failureThreshold: 1, openMs: 100, slowCallMs: 50 })
    fail()
    await clock.advance(100)
    succeed(undefined, 51)
    expect(breaker.state()).toBe('open')
  })

  it('backoff: each failed half-open multiplies the open time by factor up to maxOpenMs, and closing resets it', async () => {
    const { clock, breaker, succeed, fail, events } = setup({ failureThreshold: 1, openMs: 100, backoff: { factor: 2, maxOpenMs: 300 } })
    const openTimes = (): number[] => events.filter((e) => e.to === 'open').map((e) => e.openUntil - e.at)
    fail()
    for (let i = 0; i < 3; i++) {
      await clock.advance(breaker.counts().openUntil - clock.now())
      fail() // the probe fails
    }
    expect(openTimes()).toEqual([100, 200, 300, 300])
    await clock.advance(300)
    succeed()
    expect(breaker.state()).toBe('closed')
    fail()
    expect(openTimes()).toEqual([100, 200, 300, 300, 100])
  })

  it('half-open lets at most halfOpenMax probes out at once; with whenOpen reject the rest are rejected with retryAt now', async () => {
    const { clock, breaker, begin, fail } = setup({ failureThreshold: 1, openMs: 100, halfOpenMax: 2, successThreshold: 3 })
    fail()
    await clock.advance(100)
    const p1 = begin()
    begin()
    expect(breaker.acquire(task())).toEqual({ retryAt: 100, error: expect.any(CircuitOpenError) })
    expect(breaker.counts().rejected).toBe(1)
    breaker.onSuccess(p1, 1) // a place frees; still half-open (1 of 3 successes)
    expect(breaker.state()).toBe('half-open')
    expect(breaker.acquire(task())).toBeUndefined()
    expect(breaker.acquire(task())).toEqual({ retryAt: 100, error: expect.any(CircuitOpenError) })
  })

  it('admit lets tasks in while half-open, even with every probe place taken: acquire decides', async () => {
    const { clock, breaker, begin, fail } = setup({ failureThreshold: 1, openMs: 100 })
    fail()
    await clock.advance(100)
    begin()
    expect(breaker.admit(task())).toBeUndefined()
  })

  it('cancelling a probe gives its place back without counting', async () => {
    const { clock, breaker, begin, fail } = setup({ failureThreshold: 1, openMs: 100 })
    fail()
    await clock.advance(100)
    const probe = begin()
    expect(breaker.acquire(task())).toBeDefined()
    breaker.onCancel(probe)
    expect(breaker.counts()).toMatchObject({ state: 'half-open', calls: 1 })
    expect(breaker.acquire(task())).toBeUndefined()
  })

  it('an outcome of a call let through before the circuit changed state counts in the totals but moves nothing', async () => {
    const { clock, breaker, begin, fail } = setup({ failureThreshold: 1, openMs: 100 })
    const early = begin()
    const early2 = begin()
    fail() // opens
    breaker.onSuccess(early, 1)
    expect(breaker.counts()).toMatchObject({ state: 'open', calls: 2, successes: 1 })
    await clock.advance(100)
    begin() // the probe is out
    breaker.onFailure(early2, new Error('late'), 1) // not a probe: the circuit stays half-open
    expect(breaker.counts()).toMatchObject({ state: 'half-open', failures: 2 })
    expect(breaker.acquire(task())).toBeDefined() // the probe place is still taken
  })

  it('admit rejects only while open; acquire denies a task admitted while closed once the circuit has opened', () => {
    const { breaker, fail } = setup({ failureThreshold: 1, openMs: 100 })
    const admitted = task('a')
    expect(breaker.admit(admitted)).toBeUndefined()
    fail()
    expect(breaker.admit(task('a'))).toEqual({ retryAt: 100, error: expect.any(CircuitOpenError) })
    expect(breaker.acquire(admitted)).toEqual({ retryAt: 100, error: expect.any(CircuitOpenError) })
    expect(breaker.counts().rejected).toBe(2)
  })

  it('whenOpen hold: admit and acquire hold tasks until openUntil, and past the probe places until woken', async () => {
    const { clock, breaker, fail, begin } = setup({ failureThreshold: 1, openMs: 100, whenOpen: 'hold' })
    fail()
    expect(breaker.admit(task())).toEqual({ retryAt: 100, hold: true })
    expect(breaker.acquire(task())).toEqual({ retryAt: 100, hold: true })
    await clock.advance(100)
    begin()
    expect(breaker.acquire(task())).toEqual({ retryAt: Infinity, hold: true })
    expect(breaker.counts().rejected).toBe(0)
  })

  it('openMs Infinity stays open until reset()', async () => {
    const { clock, breaker, fail, reasons } = setup({ failureThreshold: 1, openMs: Infinity })
    fail()
    await clock.advance(1e9)
    expect(breaker.state()).toBe('open')
    expect(breaker.admit(task())).toEqual({ retryAt: Infinity, error: expect.any(CircuitOpenError) })
    breaker.reset()
    expect(breaker.state()).toBe('closed')
    expect(reasons()).toEqual(['closed>open:consecutive-failures', 'open>closed:reset'])
  })
})

describe('createCircuitBreaker: wake, reset and events', () => {
  it('whenOpen hold: wakes every attached pool when a probe settles, the circuit closes or it re-opens', async () => {
    const { clock, breaker, fail, begin } = setup({ failureThreshold: 1, openMs: 100, whenOpen: 'hold', keyed: true, successThreshold: 2 })
    const woken1: (string | undefined)[] = []
    const woken2: (string | undefined)[] = []
    breaker.attach!((k) => void woken1.push(k))
    breaker.attach!((k) => void woken2.push(k))
    fail('a')
    expect(woken1).toEqual([]) // closed to open holds nothing yet
    await clock.advance(100)
    const probe = begin('a') // half-opens here; that wake comes in a microtask
    expect(woken1).toEqual([])
    await clock.flush()
    expect(woken1).toEqual(['a'])
    breaker.onSuccess(probe, 1) // 1 of 2: a place is free again
    expect(woken1).toEqual(['a', 'a'])
    breaker.onFailure(begin('a'), new Error('x'), 1) // re-opens: held tasks need the new retryAt
    expect(woken1).toEqual(['a', 'a', 'a'])
    breaker.reset('a')
    expect(woken1).toEqual(['a', 'a', 'a', 'a'])
    expect(woken2).toEqual(woken1)
  })

  it('not keyed, a wake names no key, so pools wake every key', async () => {
    const { clock, breaker, fail, succeed } = setup({ failureThreshold: 1, openMs: 100, whenOpen: 'hold' })
    const woken: (string | undefined)[] = []
    breaker.attach!((k) => void woken.push(k))
    fail('a')
    await clock.advance(100)
    succeed('b')
    expect(woken).toContain(undefined)
    expect(new Set(woken)).toEqual(new Set([undefined]))
  })

  it('whenOpen reject never wakes pools: it holds nothing', async () => {
    const { clock, breaker, fail, succeed } = setup({ failureThreshold: 1, openMs: 100 })
    const wake = vi.fn()
    breaker.attach!(wake)
    fail()
    await clock.advance(100)
    succeed()
    await clock.flush()
    expect(breaker.state()).toBe('closed')
    expect(wake).not.toHaveBeenCalled()
  })

  it('reset() closes every circuit and clears its counts, with reason reset; reset(key) only that one', () => {
    const { breaker, fail, succeed, reasons } = setup({ failureThreshold: 1, keyed: true })
    fail('a')
    fail('b')
    succeed('c')
    breaker.reset('a')
    expect(breaker.state('a')).toBe('closed')
    expect(breaker.state('b')).toBe('open')
    expect(breaker.counts('a')).toMatchObject({ calls: 0, failures: 0, trips: 0 })
    breaker.reset()
    expect([breaker.state('b'), breaker.counts('c').calls]).toEqual(['closed', 0])
    expect(reasons().filter((r) => r!.endsWith('reset'))).toEqual(['open>closed:reset', 'open>closed:reset'])
  })

  it('reset of a closed circuit clears its window and emits nothing; calls out before it no longer count toward the state', () => {
    const { breaker, begin, fail, events } = setup({ failureThreshold: 2 })
    fail()
    const out = begin()
    breaker.reset()
    expect(events).toEqual([])
    breaker.onFailure(out, new Error('old'), 1)
    fail()
    expect(breaker.state()).toBe('closed')
    expect(breaker.counts()).toMatchObject({ calls: 2, failures: 2 })
  })

  it('on() returns an unsubscribe, and events reach only the listeners of that state', async () => {
    const { clock, breaker, fail, succeed } = setup({ failureThreshold: 1, openMs: 10 })
    const opened: CircuitEvent[] = []
    const closed: CircuitEvent[] = []
    const off = breaker.on('open', (e) => void opened.push(e))
    breaker.on('close', (e) => void closed.push(e))
    fail()
    off()
    off() // idempotent
    await clock.advance(10)
    fail() // re-opens: `opened` no longer listens
    await clock.advance(10)
    succeed()
    expect(opened.map((e) => e.reason)).toEqual(['consecutive-failures'])
    expect(closed.map((e) => e.reason)).toEqual(['probes-succeeded'])
  })

  it('a listener that throws does not break the breaker or the other listeners: its error is rethrown in a microtask', () => {
    const later: (() => void)[] = []
    vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((cb) => void later.push(cb))
    const { breaker, fail, events } = setup({ failureThreshold: 1 })
    breaker.on('open', () => {
      throw new Error('listener bug')
    })
    const after = vi.fn()
    breaker.on('open', after)
    fail()
    expect(breaker.state()).toBe('open')
    expect(events).toHaveLength(1)
    expect(after).toHaveBeenCalledOnce()
    expect(later).toHaveLength(1)
    expect(() => later[0]!()).toThrow('listener bug')
  })

  it('on() refuses an unknown event or a listener that is not a function', () => {
    const { breaker } = setup()
    expect(() => breaker.on('opened' as 'open', () => {})).toThrow(TypeError)
    expect(() => breaker.on('open', 1 as unknown as () => void)).toThrow('listener must be a function')
  })
})

describe('createCircuitBreaker: keyed', () => {
  it('keeps one circuit per key, created on first use: a failing key opens alone', () => {
    const { breaker, fail, succeed } = setup({ keyed: true, failureThreshold: 2 })
    expect(breaker.keys()).toEqual([])
    fail('a')
    succeed('b')
    fail('a')
    expect(breaker.state('a')).toBe('open')
    expect(breaker.state('b')).toBe('closed')
    expect(breaker.admit(task('a'))).toMatchObject({ retryAt: 10_000 })
    expect(breaker.admit(task('b'))).toBeUndefined()
    expect(breaker.keys().sort()).toEqual(['a', 'b'])
    expect(breaker.counts('b')).toMatchObject({ calls: 1, successes: 1 })
  })

  it('tasks without a key share one circuit, read with state() and left out of keys()', () => {
    const { breaker, fail } = setup({ keyed: true, failureThreshold: 2 })
    fail(undefined)
    fail(undefined)
    expect(breaker.state()).toBe('open')
    expect(breaker.state('x')).toBe('closed')
    expect(breaker.keys()).toEqual([])
  })

  it('not keyed, every task shares one circuit whatever its key', () => {
    const { breaker, fail } = setup({ failureThreshold: 2 })
    fail('a')
    fail('b')
    expect([breaker.state('c'), breaker.state()]).toEqual(['open', 'open'])
    expect(breaker.keys()).toEqual([])
  })

  it('a key not tracked reads as closed with zero counts, and reading creates nothing', () => {
    const { breaker } = setup({ keyed: true })
    expect(breaker.state('nobody')).toBe('closed')
    expect(breaker.counts('nobody')).toEqual({ state: 'closed', calls: 0, successes: 0, failures: 0, slowCalls: 0, rejected: 0, trips: 0, openUntil: -1, windowCalls: 0, windowFailureRate: 0 })
    expect(breaker.admit(task('nobody'))).toBeUndefined()
    expect(breaker.keys()).toEqual([])
  })

  it('evicts a closed circuit idle for keyIdleMs, with its counts', async () => {
    const { clock, breaker, fail, succeed } = setup({ keyed: true, keyIdleMs: 1000, failureThreshold: 3 })
    fail('a')
    succeed('b')
    await clock.advance(500)
    succeed('b')
    await clock.advance(500)
    expect(breaker.keys()).toEqual(['b'])
    expect(breaker.counts('a').calls).toBe(0)
    await clock.advance(500)
    expect(breaker.keys()).toEqual([])
  })

  it('never evicts an open circuit or one with calls out, however idle', async () => {
    const { clock, breaker, fail, begin } = setup({ keyed: true, keyIdleMs: 100, failureThreshold: 1, openMs: Infinity })
    fail('open')
    const out = begin('busy')
    await clock.advance(1000)
    expect(breaker.keys().sort()).toEqual(['busy', 'open'])
    breaker.onSuccess(out, 1000)
    await clock.advance(100)
    expect(breaker.keys()).toEqual(['open'])
  })

  it('at maxKeys, a new key evicts the longest-idle closed circuit with no call out', async () => {
    const { clock, breaker, succeed, begin } = setup({ keyed: true, maxKeys: 3 })
    succeed('a')
    await clock.advance(1)
    const out = begin('b') // busy: not evictable
    await clock.advance(1)
    succeed('c')
    await clock.advance(1)
    succeed('a') // a is now the most recent
    succeed('d') // c is the longest-idle one that can go
    expect(breaker.keys().sort()).toEqual(['a', 'b', 'd'])
    breaker.onSuccess(out, 1)
    expect(breaker.counts('b').calls).toBe(1)
    expect(breaker.untracked).toBe(0)
  })

  it('at maxKeys with every circuit busy, a new key runs untracked and uncounted, and untracked counts it', () => {
    const { breaker, fail, begin } = setup({ keyed: true, maxKeys: 2, failureThreshold: 1 })
    fail('a') // open
    begin('b') // a call out
    const t = task('c')
    expect(breaker.acquire(t)).toBeUndefined()
    breaker.onFailure(t, new Error('x'), 1)
    expect(breaker.untracked).toBe(1)
    expect(breaker.keys().sort()).toEqual(['a', 'b'])
    expect(breaker.state('c')).toBe('closed')
  })
})

describe('createCircuitBreaker: execute()', () => {
  it('runs fn, times it with the clock and counts a slow success', async () => {
    const { clock, breaker } = setup({ slowCallMs: 20 })
    const result = breaker.execute('a', () => new Promise<string>((resolve) => clock.setTimeout(() => resolve('done'), 50)))
    await clock.advance(50)
    await expect(result).resolves.toBe('done')
    expect(breaker.counts()).toMatchObject({ calls: 1, slowCalls: 1 })
  })

  it('counts a failure (a synchronous throw too) and rethrows it', async () => {
    const { breaker } = setup({ failureThreshold: 2 })
    await expect(breaker.execute('a', () => Promise.reject(new Error('no')))).rejects.toThrow('no')
    await expect(
      breaker.execute('a', () => {
        throw new Error('sync')
      }),
    ).rejects.toThrow('sync')
    expect(breaker.counts()).toMatchObject({ state: 'open', failures: 2 })
  })

  it('rejects with CircuitOpenError naming the key and retryAt while open, without calling fn', async () => {
    const { breaker, fail } = setup({ failureThreshold: 1, openMs: 500 })
    fail()
    const fn = vi.fn(() => 1)
    const error = await breaker.execute('provider-a', fn).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CircuitOpenError)
    expect(error).toMatchObject({ key: 'provider-a', retryAt: 500, code: 'ERR_POOL_CIRCUIT_OPEN' })
    expect(fn).not.toHaveBeenCalled()
    expect(breaker.counts().rejected).toBe(1)
  })

  it('with whenOpen hold, waits until the circuit half-opens, runs as the probe, and the next waits for the probe', async () => {
    const { clock, breaker, fail } = setup({ failureThreshold: 1, openMs: 500, whenOpen: 'hold' })
    fail()
    const order: string[] = []
    const slow = (id: string) => () => new Promise<void>((resolve) => clock.setTimeout(() => resolve(void order.push(`${id}@${clock.now()}`)), 10))
    const first = breaker.execute(undefined, slow('first'))
    const second = breaker.execute(undefined, slow('second'))
    await clock.advance(499)
    expect(order).toEqual([])
    await clock.advance(100)
    await Promise.all([first, second])
    // One probe at a time: the second ran after the first closed the circuit.
    expect(order).toEqual(['first@510', 'second@520'])
    expect(breaker.state()).toBe('closed')
    expect(clock.pending).toBe(0)
  })
})

describe('createCircuitBreaker: with a core pool', () => {
  it('whenOpen reject: while a key is open its tasks are rejected with CircuitOpenError (key and retryAt), other keys run', async () => {
    const clock = createVirtualClock()
    const breaker = createCircuitBreaker({ clock, keyed: true, failureThreshold: 2, openMs: 1000 })
    const pool = createPool({ handler: timed(clock), clock, concurrency: 4, breaker })
    const down = new Error('provider down')
    const failures = [settle(pool.run({ id: 'a1', ms: 10, fail: down }, { key: 'a' })), settle(pool.run({ id: 'a2', ms: 10, fail: down }, { key: 'a' }))]
    await clock.advance(10)
    expect((await Promise.all(failures)).map((r) => r.ok)).toEqual([false, false])
    expect(breaker.state('a')).toBe('open')
    const refused = await settle(pool.run({ id: 'a3', ms: 10 }, { key: 'a' }))
    expect(refused.ok).toBe(false)
    const error = (refused as { error: unknown }).error
    expect(error).toBeInstanceOf(CircuitOpenError)
    expect(error).toMatchObject({ key: 'a', retryAt: 1010 })
    expect((error as Error).message).toContain('"a"')
    const other = pool.run({ id: 'b1', ms: 10 }, { key: 'b' })
    await clock.advance(10)
    await expect(other).resolves.toBe('b1')
    await clock.advance(990) // t = 1010: a probe goes through and closes the circuit
    const probe = pool.run({ id: 'a4', ms: 10 }, { key: 'a' })
    await clock.advance(10)
    await expect(probe).resolves.toBe('a4')
    expect(breaker.state('a')).toBe('closed')
    expect(breaker.counts('a')).toMatchObject({ rejected: 1, trips: 1, calls: 3 })
    expect(pool.stats().counters).toMatchObject({ completed: 2, failed: 2, rejected: 1 })
    await pool.close()
  })

  it('whenOpen reject: a task queued while closed is rejected when it would start after the circuit opened', async () => {
    const clock = createVirtualClock()
    const breaker = createCircuitBreaker({ clock, failureThreshold: 1, openMs: 1000 })
    const pool = createPool({ handler: timed(clock), clock, concurrency: 1, breaker })
    const first = settle(pool.run({ id: 'a1', ms: 10, fail: new Error('down') }))
    const queued = settle(pool.run({ id: 'a2', ms: 10 }))
    await clock.advance(10)
    expect((await first).ok).toBe(false)
    const r = await queued
    expect(r.ok).toBe(false)
    expect((r as { error: unknown }).error).toMatchObject({ retryAt: 1010 })
    await pool.close()
  })

  it('whenOpen hold: tasks of an open key wait in the pool and run after it half-opens, the youngest as the probe, nothing lost; other keys unaffected', async () => {
    const clock = createVirtualClock()
    const breaker = createCircuitBreaker({ clock, keyed: true, failureThreshold: 1, openMs: 1000, whenOpen: 'hold' })
    const pool = createPool({ handler: timed(clock), clock, concurrency: 4, breaker })
    const done: string[] = []
    const run = (id: string, key: string, fail?: unknown) => settle(pool.run({ id, ms: 10, fail }, { key }).then((v) => void done.push(`${v}@${clock.now()}`)))
    const failed = run('a0', 'a', new Error('down'))
    await clock.advance(10)
    expect((await failed).ok).toBe(false)
    const held = [run('a1', 'a'), run('a2', 'a'), run('a3', 'a')]
    const b = run('b1', 'b')
    await clock.advance(10)
    expect(done).toEqual(['b1@20'])
    expect(pool.stats()).toMatchObject({ delayed: 3 })
    await clock.advance(990) // t = 1010: half-open, a3 probes; a1 and a2 wait for it
    expect(breaker.state('a')).toBe('half-open')
    await clock.advance(10)
    await clock.advance(10)
    expect((await Promise.all([...held, b])).every((r) => r.ok)).toBe(true)
    // The youngest held task probes (it has the most of its caller's time left); the others follow once it closed the circuit.
    expect(done).toEqual(['b1@20', 'a3@1020', 'a1@1030', 'a2@1030'])
    expect(breaker.counts('a')).toMatchObject({ state: 'closed', rejected: 0, calls: 4 })
    await pool.close()
    expect(clock.pending).toBe(0)
  })

  it('counts a timeout as a failure and a cancelled task as nothing', async () => {
    const clock = createVirtualClock()
    const seen: unknown[] = []
    const breaker = createCircuitBreaker({ clock, failureThreshold: 2, isFailure: (e) => (seen.push(e), true) })
    const pool = createPool({ handler: timed(clock), clock, concurrency: 2, breaker, taskTimeout: 50 })
    const controller = new AbortController()
    const timedOut = settle(pool.run({ id: 't', ms: 100 }))
    const cancelled = settle(pool.run({ id: 'c', ms: 100 }, { signal: controller.signal }))
    await clock.advance(10)
    controller.abort()
    await clock.advance(100)
    expect((await timedOut).ok).toBe(false)
    expect((await cancelled).ok).toBe(false)
    expect(seen).toHaveLength(1)
    expect(seen[0]).toBeInstanceOf(TaskTimeoutError)
    expect(breaker.counts()).toMatchObject({ calls: 1, failures: 1, state: 'closed' })
    await pool.close()
  })
})

describe('createCircuitBreaker: options', () => {
  it.each([
    [1, TypeError, 'options must be an object, got 1'],
    [{ failureThreshold: 0 }, TypeError, 'options.failureThreshold must be a positive integer or Infinity, got 0'],
    [{ failureRateThreshold: 0 }, TypeError, 'options.failureRateThreshold must be a number above 0 and at most 1, got 0'],
    [{ failureRateThreshold: 1.5 }, TypeError, 'options.failureRateThreshold must be a number above 0 and at most 1, got 1.5'],
    [{ window: { type: 'sliding' } }, TypeError, `options.window.type must be one of 'count', 'time', got "sliding"`],
    [{ window: { type: 'count', size: 0 } }, TypeError, 'options.window.size must be a positive integer, got 0'],
    [{ window: { type: 'time', ms: Infinity } }, TypeError, 'options.window.ms must be a finite number of milliseconds above 0, got Infinity'],
    [{ window: 'count' }, TypeError, 'options.window must be an object, got "count"'],
    [{ minimumCalls: 1.5 }, TypeError, 'options.minimumCalls must be a positive integer, got 1.5'],
    [{ failureRateThreshold: 0.5, minimumCalls: 20, window: { type: 'count', size: 10 } }, RangeError, 'options.minimumCalls (20) must not exceed options.window.size (10)'],
    [{ slowCallMs: -1 }, TypeError, 'options.slowCallMs must be a non-negative number of milliseconds or Infinity, got -1'],
    [{ openMs: '10s' }, TypeError, 'options.openMs must be a non-negative number of milliseconds or Infinity, got "10s"'],
    [{ backoff: 2 }, TypeError, 'options.backoff must be an object, got 2'],
    [{ backoff: { factor: 0.5 } }, TypeError, 'options.backoff.factor must be a finite number of at least 1, got 0.5'],
    [{ openMs: 1000, backoff: { maxOpenMs: 500 } }, RangeError, 'options.backoff.maxOpenMs (500) must be at least options.openMs (1000)'],
    [{ halfOpenMax: 0 }, TypeError, 'options.halfOpenMax must be a positive integer, got 0'],
    [{ successThreshold: Infinity }, TypeError, 'options.successThreshold must be a positive integer, got Infinity'],
    [{ isFailure: true }, TypeError, 'options.isFailure must be a function, got true'],
    [{ whenOpen: 'queue' }, TypeError, `options.whenOpen must be one of 'reject', 'hold', got "queue"`],
    [{ keyed: 'yes' }, TypeError, 'options.keyed must be a boolean, got "yes"'],
    [{ maxKeys: 0 }, TypeError, 'options.maxKeys must be a positive integer or Infinity, got 0'],
    [{ keyIdleMs: null }, TypeError, 'options.keyIdleMs must be a non-negative number of milliseconds or Infinity, got null'],
    [{ clock: {} }, TypeError, 'options.clock.now must be a function, got undefined'],
  ])('rejects %j with a message naming the option and the value', (options, type, message) => {
    expect(() => createCircuitBreaker(options as CircuitBreakerOptions)).toThrow(type)
    expect(() => createCircuitBreaker(options as CircuitBreakerOptions)).toThrow(message)
  })

  it('accepts no options and starts closed with zero counts and defaults (5 failures, 10 s open)', async () => {
    const clock = createVirtualClock()
    const breaker = createCircuitBreaker({ clock })
    expect(breaker.state()).toBe('closed')
    for (let i = 0; i < 5; i++) {
      const t = task()
      breaker.acquire(t)
      breaker.onFailure(t, new Error('x'), 1)
    }
    expect(breaker.counts()).toMatchObject({ state: 'open', openUntil: 10_000 })
    expect(createCircuitBreaker().state()).toBe('closed')
  })
})

describe('createCircuitBreaker: CircuitOpenError messages', () => {
  it('an unkeyed circuit says how long until it retries, rounded, and names no key; retryAt stays the clock time', async () => {
    const clock = createVirtualClock()
    await clock.advance(6397.0148)
    const breaker = createCircuitBreaker({ clock, failureThreshold: 1, openMs: 1000 })
    const pool = createPool({ handler: timed(clock), clock, concurrency: 1, breaker })
    const first = settle(pool.run({ id: 'a1', ms: 10, fail: new Error('down') }, { key: 'tenant-1' }))
    await clock.advance(10)
    await first
    await clock.advance(187.6)
    const r = await settle(pool.run({ id: 'a2', ms: 10 }, { key: 'tenant-1' }))
    const error = (r as { error: CircuitOpenError }).error
    expect(error).toBeInstanceOf(CircuitOpenError)
    expect(error.message).toBe('The circuit is open; it retries in 812 ms')
    expect(error.retryAt).toBe(7407.0148)
    // The task's own key is still on the error, as before; only the message leaves it out.
    expect(error.key).toBe('tenant-1')
    await pool.close()
  })

  it('a keyed circuit names its key (or tasks without a key)', async () => {
    const { breaker, fail } = setup({ failureThreshold: 1, openMs: 2500, keyed: true })
    fail('openai')
    fail()
    expect((breaker.acquire(task('openai'))?.error as Error).message).toBe('The circuit for key "openai" is open; it retries in 2500 ms')
    expect((breaker.acquire(task())?.error as Error).message).toBe('The circuit for tasks without a key is open; it retries in 2500 ms')
  })

  it('says until reset() when openMs is Infinity, and when half-open with every probe out, that it decides when one settles', async () => {
    const forever = setup({ failureThreshold: 1, openMs: Infinity })
    forever.fail()
    expect((forever.breaker.acquire(task())?.error as Error).message).toBe('The circuit is open until reset()')
    const { clock, breaker, fail, begin } = setup({ failureThreshold: 1, openMs: 100 })
    fail()
    await clock.advance(100)
    begin()
    expect((breaker.acquire(task())?.error as Error).message).toBe('The circuit is half-open and its probes are all out; it decides when one settles')
  })

  it('execute() rejects with the same message, naming the key only when keyed', async () => {
    const unkeyed = setup({ failureThreshold: 1, openMs: 500 })
    unkeyed.fail()
    await expect(unkeyed.breaker.execute('provider-a', () => 1)).rejects.toThrow(/^The circuit is open; it retries in 500 ms$/)
    const keyed = setup({ failureThreshold: 1, openMs: 500, keyed: true })
    keyed.fail('provider-a')
    await expect(keyed.breaker.execute('provider-a', () => 1)).rejects.toThrow('The circuit for key "provider-a" is open; it retries in 500 ms')
  })
})

describe('createCircuitBreaker: key function', () => {
  it("one circuit per value of key(task): tasks of different task keys share their provider's circuit", () => {
    const { breaker } = setup({ failureThreshold: 2, key: (t) => t.labels?.provider })
    const call = (tenant: string, provider: string): TaskInfo => ({ ...task(tenant), labels: { provider } })
    for (const tenant of ['t1', 't2']) {
      const t = call(tenant, 'openai')
      expect(breaker.acquire(t)).toBeUndefined()
      breaker.onFailure(t, new Error('down'), 1)
    }
    expect(breaker.state('openai')).toBe('open')
    expect(breaker.keys()).toEqual(['openai'])
    expect(breaker.acquire(call('t3', 'openai'))).toMatchObject({ error: { key: 'openai' } })
    expect(breaker.acquire(call('t1', 'anthropic'))).toBeUndefined()
  })

  it("whenOpen hold: wakes the pools by the held tasks' own keys, not by the circuit's", async () => {
    const { clock, breaker } = setup({ failureThreshold: 1, openMs: 100, whenOpen: 'hold', key: (t) => t.labels?.provider })
    const woken: (string | undefined)[] = []
    breaker.attach!((k) => void woken.push(k))
    const call = (tenant: string): TaskInfo => ({ ...task(tenant), labels: { provider: 'openai' } })
    const first = call('t1')
    breaker.acquire(first)
    breaker.onFailure(first, new Error('down'), 1)
    expect(breaker.acquire(call('t1'))).toMatchObject({ hold: true })
    expect(breaker.acquire(call('t2'))).toMatchObject({ hold: true })
    await clock.advance(100)
    const probe = call('t3')
    expect(breaker.acquire(probe)).toBeUndefined()
    await clock.flush()
    breaker.onSuccess(probe, 1)
    expect(new Set(woken)).toEqual(new Set(['t1', 't2']))
  })

  it("an outcome finds the permit's circuit without asking key() again, so a key function that changes its answer strands nothing", () => {
    let provider = 'openai'
    const { breaker } = setup({ failureThreshold: 1, key: () => provider })
    const t = task('t1')
    expect(breaker.acquire(t)).toBeUndefined()
    provider = 'anthropic'
    breaker.onFailure(t, new Error('down'), 1)
    expect(breaker.state('openai')).toBe('open')
    expect(breaker.state('anthropic')).toBe('closed')
  })

  it.each([
    [{ key: 'provider' }, TypeError, 'options.key must be a function of the task that returns its key, like (task) => task.labels?.provider, got "provider"'],
    [{ key: (t: TaskInfo) => t.key, keyed: false }, TypeError, 'options.keyed is false but options.key is a function: a key function means one circuit per key'],
  ])('rejects %j with a message naming the options and the value', (options, type, message) => {
    expect(() => createCircuitBreaker(options as CircuitBreakerOptions)).toThrow(type)
    expect(() => createCircuitBreaker(options as CircuitBreakerOptions)).toThrow(message)
  })
})
