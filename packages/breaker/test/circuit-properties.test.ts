import { createVirtualClock } from '@poolkit/core'
import type { BreakerDenial, TaskInfo } from '@poolkit/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createCircuitBreaker } from '../src/index.js'
import type { CircuitBreakerOptions, CircuitCounts, CircuitEvent, CircuitState } from '../src/index.js'
import { task } from './task.js'

// The circuit breaker against a small reference model of its state machine:
// random sequences of starts, successes, failures, errors that do not count,
// slow successes, cancellations (before a probe ran, or while it ran),
// admissions, resets and the passing of time.
// After every step the breaker's state, counts and events must match the model's.

interface Config {
  readonly failureThreshold: number
  readonly failureRateThreshold: number | undefined
  readonly window: { type: 'count'; size: number } | { type: 'time'; ms: number }
  readonly minimumCalls: number
  readonly slowCallMs: number
  readonly openMs: number
  readonly factor: number
  readonly maxOpenMs: number
  readonly halfOpenMax: number
  readonly successThreshold: number
  readonly cancelledProbeMs: number | undefined
  readonly whenOpen: 'reject' | 'hold'
  readonly keyed: boolean
}

type Kind = 'success' | 'failure' | 'slow'
interface ModelPermit {
  readonly phase: number
  readonly probe: boolean
}

/** One circuit, written the plain way: every call of the window in an array. */
class ModelCircuit {
  state: CircuitState = 'closed'
  phase = 0
  openUntil = -1
  openMs: number
  consecutive = 0
  probesOut = 0
  probeSuccesses = 0
  /** When the earliest probe cancelled while it ran fails the half-open. */
  probeDue = Infinity
  calls: { at: number; bad: boolean }[] = []
  totals = { calls: 0, successes: 0, failures: 0, slowCalls: 0, rejected: 0, trips: 0 }
  readonly events: string[] = []

  constructor(private readonly c: Config) {
    this.openMs = c.openMs
  }

  windowCalls(now: number): { at: number; bad: boolean }[] {
    const w = this.c.window
    return w.type === 'count' ? this.calls.slice(-w.size) : this.calls.filter((call) => now - call.at < w.ms)
  }

  look(now: number): void {
    for (;;) {
      if (this.state === 'open' && now >= this.openUntil) this.go('half-open', now, 'open-elapsed')
      else if (this.state === 'half-open' && now >= this.probeDue) {
        this.openMs = Math.min(this.openMs * this.c.factor, this.c.maxOpenMs)
        this.go('open', this.probeDue, 'probe-cancelled')
      } else return
    }
  }

  admit(now: number): BreakerDenial | undefined {
    this.look(now)
    return this.state === 'open' ? this.deny(now) : undefined
  }

  acquire(now: number): ModelPermit | BreakerDenial {
    this.look(now)
    if (this.state === 'open') return this.deny(now)
    if (this.state === 'half-open') {
      if (this.probesOut === this.c.halfOpenMax) return this.deny(now)
      this.probesOut++
      return { phase: this.phase, probe: true }
    }
    return { phase: this.phase, probe: false }
  }

  deny(now: number): BreakerDenial {
    const retryAt = this.state === 'open' ? this.openUntil : this.c.whenOpen === 'hold' || this.probeDue !== Infinity ? this.probeDue : now
    if (this.c.whenOpen === 'hold') return { retryAt, hold: true }
    this.totals.rejected++
    return { retryAt }
  }

  end(permit: ModelPermit, kind: Kind, now: number): void {
    this.totals.calls++
    if (kind === 'success') this.totals.successes++
    else if (kind === 'failure') this.totals.failures++
    else this.totals.slowCalls++
    if (permit.phase !== this.phase) return
    const bad = kind !== 'success'
    if (this.state === 'half-open') {
      this.probesOut--
      if (bad) {
        this.openMs = Math.min(this.openMs * this.c.factor, this.c.maxOpenMs)
        this.go('open', now, 'probe-failed')
      } else if (++this.probeSuccesses === this.c.successThreshold) {
        this.go('closed', now, 'probes-succeeded')
      }
      return
    }
    this.calls.push({ at: now, bad })
    this.consecutive = bad ? this.consecutive + 1 : 0
    const inWindow = this.windowCalls(now)
    const rate = inWindow.filter((call) => call.bad).length / inWindow.length
    if (bad && this.consecutive >= this.c.failureThreshold) this.go('open', now, 'consecutive-failures')
    else if (this.c.failureRateThreshold !== undefined && inWindow.length >= this.c.minimumCalls && rate >= this.c.failureRateThreshold) {
      this.go('open', now, 'failure-rate')
    }
  }

  /** `startedAt`: when the cancelled call started, -1 if it never ran. */
  cancel(permit: ModelPermit, startedAt: number, now: number): void {
    if (!permit.probe || permit.phase !== this.phase) return
    if (startedAt < 0) this.probesOut--
    else this.probeDue = Math.min(this.probeDue, Math.max(now, startedAt + (this.c.cancelledProbeMs ?? this.c.openMs)))
  }

  reset(now: number): void {
    this.totals = { calls: 0, successes: 0, failures: 0, slowCalls: 0, rejected: 0, trips: 0 }
    if (this.state !== 'closed') this.go('closed', now, 'reset')
    else {
      this.phase++
      this.calls = []
      this.consecutive = 0
      this.openMs = this.c.openMs
    }
  }

  counts(now: number): CircuitCounts {
    this.look(now)
    const inWindow = this.windowCalls(now)
    return {
      state: this.state,
      ...this.totals,
      openUntil: this.openUntil,
      windowCalls: inWindow.length,
      windowFailureRate: inWindow.length === 0 ? 0 : inWindow.filter((call) => call.bad).length / inWindow.length,
    }
  }

  private go(to: CircuitState, now: number, reason: string): void {
    this.events.push(`${this.state}>${to}:${reason}@${now}`)
    this.state = to
    this.phase++
    this.probesOut = 0
    this.probeSuccesses = 0
    this.probeDue = Infinity
    this.openUntil = -1
    if (to === 'open') {
      this.totals.trips++
      this.openUntil = now + this.openMs
    }
    if (to === 'closed') {
      this.calls = []
      this.consecutive = 0
      this.openMs = this.c.openMs
    }
  }
}

type Op =
  | { kind: 'start'; key: string }
  | { kind: 'admit'; key: string }
  | { kind: 'end'; pick: number; how: 'success' | 'failure' | 'ignored-error' | 'cancel' | 'cancel-ran'; runMs: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'reset' }

const keyArb = fc.constantFrom('a', 'b')
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('start' as const), key: keyArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('admit' as const), key: keyArb }) },
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant('end' as const),
      pick: fc.nat(20),
      how: fc.constantFrom('success' as const, 'success' as const, 'failure' as const, 'failure' as const, 'ignored-error' as const, 'cancel' as const, 'cancel-ran' as const),
      runMs: fc.nat(100),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.oneof(fc.constantFrom(0, 1, 5, 10, 30, 100, 250), fc.nat(400)) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
)

const configArb: fc.Arbitrary<Config> = fc
  .record({
    failureThreshold: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constant(Infinity)),
    failureRateThreshold: fc.option(fc.constantFrom(0.25, 0.5, 0.6, 1), { nil: undefined }),
    window: fc.oneof(
      fc.record({ type: fc.constant('count' as const), size: fc.integer({ min: 1, max: 8 }) }),
      fc.record({ type: fc.constant('time' as const), ms: fc.oneof(fc.constantFrom(1, 5, 10, 30, 100), fc.integer({ min: 1, max: 500 })) }),
    ),
    minimumCalls: fc.integer({ min: 1, max: 8 }),
    slowCallMs: fc.constantFrom(Infinity, 0, 50),
    openMs: fc.constantFrom(0, 1, 10, 100, 250),
    factor: fc.constantFrom(1, 2, 3),
    maxOpenMs: fc.constantFrom(Infinity, 600),
    halfOpenMax: fc.integer({ min: 1, max: 3 }),
    successThreshold: fc.integer({ min: 1, max: 3 }),
    cancelledProbeMs: fc.constantFrom(undefined, 0, 50),
    whenOpen: fc.constantFrom('reject' as const, 'hold' as const),
    keyed: fc.boolean(),
  })
  // Options the breaker refuses as conflicting: minimumCalls past a count window's size, maxOpenMs under openMs.
  .map((c) => ({
    ...c,
    minimumCalls: c.window.type === 'count' && c.failureRateThreshold !== undefined ? Math.min(c.minimumCalls, c.window.size) : c.minimumCalls,
    maxOpenMs: Math.max(c.maxOpenMs, c.openMs),
  }))

function toOptions(c: Config): CircuitBreakerOptions {
  return {
    failureThreshold: c.failureThreshold,
    failureRateThreshold: c.failureRateThreshold,
    window: c.window,
    minimumCalls: c.minimumCalls,
    slowCallMs: c.slowCallMs,
    openMs: c.openMs,
    backoff: { factor: c.factor, maxOpenMs: c.maxOpenMs },
    halfOpenMax: c.halfOpenMax,
    successThreshold: c.successThreshold,
    cancelledProbeMs: c.cancelledProbeMs,
    whenOpen: c.whenOpen,
    keyed: c.keyed,
    isFailure: (error) => error !== 'ignored',
  }
}

const taskFor = (key: string, now: number): TaskInfo => task(key, -1, now)

/** Flat objects (counts, denials) with the same own keys and Object.is-equal values: as strict as toEqual here. */
function sameFlat(a: object | undefined, b: object | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  for (const k of ka) if (!Object.is((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false
  return true
}

/**
 * `expect(actual).toEqual(expected)`, with a fast path: tens of thousands of steps are
 * checked per run of the suite, and expect() costs far more than the comparison. On a
 * mismatch expect() runs, so the failure reads as before.
 */
function agree(actual: object | undefined, expected: object | undefined): void {
  if (!sameFlat(actual, expected)) expect(actual).toEqual(expected)
}

/** A denial without its error (the model does not write messages; a rejection's error is checked elsewhere). */
function withoutError(denial: BreakerDenial | undefined): BreakerDenial | undefined {
  if (denial?.error === undefined) return denial
  expect(denial.error.name).toBe('CircuitOpenError')
  const { error: _error, ...rest } = denial
  return rest
}

/** The events after the first `from`, in sorted order: both lists only grow, and agreed up to `from`. */
const newEvents = (events: readonly string[], from: number): string => events.slice(from).sort().join('\n')

describe('circuit breaker against its model', () => {
  it('agrees with the reference state machine on state, counts, denials and events at every step', async () => {
    await fc.assert(
      fc.asyncProperty(configArb, fc.array(opArb, { maxLength: 100, size: 'max' }), async (config, ops) => {
        const clock = createVirtualClock()
        const c = config
        const breaker = createCircuitBreaker({ clock, ...toOptions(c) })
        const models = new Map<string, ModelCircuit>()
        const circuitKey = (key: string): string => (c.keyed ? key : '*')
        const model = (key: string): ModelCircuit => {
          const k = circuitKey(key)
          let m = models.get(k)
          if (m === undefined) models.set(k, (m = new ModelCircuit(c)))
          return m
        }
        const seen: string[] = []
        for (const name of ['open', 'half-open', 'close'] as const) {
          breaker.on(name, (e: CircuitEvent) => void seen.push(`${e.key ?? '*'}:${e.from}>${e.to}:${e.reason}@${e.at}`))
        }
        const expectedEvents: string[] = []
        const collect = (): void => {
          for (const [k, m] of models) {
            for (const e of m.events.splice(0)) expectedEvents.push(`${k}:${e}`)
          }
        }
        const out: { task: TaskInfo; key: string; permit: ModelPermit; at: number }[] = []
        let checkedEvents = 0

        for (const op of ops) {
          const now = clock.now()
          switch (op.kind) {
            case 'start': {
              const task = taskFor(op.key, now)
              const expected = model(op.key).acquire(now)
              const denial = breaker.acquire(task)
              if ('phase' in expected) {
                if (denial !== undefined) expect(denial).toBeUndefined()
                out.push({ task, key: op.key, permit: expected, at: now })
              } else {
                agree(withoutError(denial), expected)
              }
              break
            }
            case 'admit':
              agree(withoutError(breaker.admit(taskFor(op.key, now))), model(op.key).admit(now))
              break
            case 'end': {
              if (out.length === 0) break
              const [call] = out.splice(op.pick % out.length, 1)
              const m = model(call!.key)
              if (op.how === 'cancel' || op.how === 'cancel-ran') {
                // As the pool reports it: a call that ran was started when it acquired, and ended now.
                const ran = op.how === 'cancel-ran'
                if (ran) Object.assign(call!.task, { startedAt: call!.at, endedAt: now })
                m.cancel(call!.permit, ran ? call!.at : -1, now)
                breaker.onCancel(call!.task)
                break
              }
              const kind: Kind = op.how === 'failure' ? 'failure' : op.runMs > c.slowCallMs ? 'slow' : 'success'
              m.end(call!.permit, kind, now)
              // As the pool reports it: the attempt ran runMs and ends now, so it started runMs ago.
              ;(call!.task as { startedAt: number }).startedAt = now - op.runMs
              if (op.how === 'success') breaker.onSuccess(call!.task, op.runMs)
              else {
                const hint = breaker.onFailure(call!.task, op.how === 'failure' ? new Error('down') : 'ignored', op.runMs)
                if (hint !== undefined) expect(hint).toBeUndefined()
              }
              break
            }
            case 'advance':
              await clock.advance(op.ms)
              break
            case 'reset':
              for (const m of models.values()) m.reset(now)
              breaker.reset()
              break
          }
          for (const key of ['a', 'b']) {
            agree(breaker.counts(key), model(key).counts(clock.now()))
            const state = breaker.state(key)
            if (state !== model(key).state) expect(state).toBe(model(key).state)
          }
          collect()
          // Events fire in the order the breaker met them; across circuits the model may list them otherwise.
          if (seen.length !== expectedEvents.length || newEvents(seen, checkedEvents) !== newEvents(expectedEvents, checkedEvents)) {
            expect([...seen].sort()).toEqual([...expectedEvents].sort())
          }
          checkedEvents = seen.length
        }
        expect([...seen].sort()).toEqual([...expectedEvents].sort())
        // No idle eviction and no cap here: every key that started a call is still tracked.
        if (c.keyed) for (const call of out) expect(breaker.keys()).toContain(call.key)
      }),
      { numRuns: 300 },
    )
  })
})
