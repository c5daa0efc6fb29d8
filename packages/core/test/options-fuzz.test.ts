// Fuzzes every option of core's factories and of the pool's per-call options:
// each invalid value throws (or rejects with) a TypeError or RangeError that
// names the option and the value, at once; valid values next to it are accepted.
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import {
  aFunction,
  anArray,
  expectOptionError,
  fractional,
  fuzzEachOption,
  infinities,
  nan,
  negative,
  notBoolean,
  notFunction,
  notNumber,
  notObject,
  notString,
  optionsArbitrary,
  plainObject,
  rejectionOf,
  setAt,
  settlesSoon,
  spec,
  thrownBy,
} from '@poolkit/test-utils'
import type { OptionSpec } from '@poolkit/test-utils'
import { concurrencyFromEnv, createDefaultQueue, createPool, createVirtualClock, inProcess } from '../src/index.js'
import type { Executor, Pool } from '../src/index.js'
import { resolveRemoteWorkerOptions } from '../src/remote.js'

// ---------------------------------------------------------------- arbitraries

const invalid = {
  positiveInteger: fc.oneof(notNumber, negative, fc.constant(0), fractional, nan, infinities),
  nonNegativeInteger: fc.oneof(notNumber, negative, fractional, nan, infinities),
  nonNegativeIntegerOrInfinity: fc.oneof(notNumber, negative, fractional, nan, fc.constant(-Infinity)),
  positiveIntegerOrInfinity: fc.oneof(notNumber, negative, fc.constant(0), fractional, nan, fc.constant(-Infinity)),
  duration: fc.oneof(notNumber, negative, nan, fc.constant(-Infinity)),
  positiveDuration: fc.oneof(notNumber, negative, fc.constant(0), nan, fc.constant(-Infinity)),
  finite: fc.oneof(notNumber, nan, infinities),
  atLeast1: fc.oneof(notNumber, fc.double({ max: 1, maxExcluded: true, noNaN: true }), nan, infinities),
  share: fc.oneof(notNumber, negative, fc.double({ min: 1, minExcluded: true, noNaN: true }), nan, infinities),
  string: notString,
  func: notFunction,
  boolean: notBoolean,
  object: notObject,
  array: fc.oneof(notObject, plainObject, aFunction),
}

const valid = {
  positiveInteger: fc.integer({ min: 1, max: 1_000_000 }),
  nonNegativeInteger: fc.integer({ min: 0, max: 1_000_000 }),
  duration: fc.oneof(fc.constantFrom(0, Infinity), fc.double({ min: 0, max: 1e9, noNaN: true })),
}

// ---------------------------------------------------------------- createPool

const clock = createVirtualClock()
const handler = (x: unknown): unknown => x
const breaker = { admit: () => undefined, acquire: () => undefined, onSuccess() {}, onFailure: () => undefined, onCancel() {} }

const poolSpecs: readonly OptionSpec[] = [
  spec('options.name', invalid.string, fc.string()),
  spec('options.concurrency', invalid.positiveInteger, fc.integer({ min: 1, max: 4 })),
  spec('options.maxQueue', invalid.nonNegativeIntegerOrInfinity, fc.oneof(valid.nonNegativeInteger, fc.constant(Infinity))),
  spec('options.onQueueFull', fc.oneof(fc.constantFrom('block', 'Reject', 'drop', ''), notString), fc.constantFrom('reject', 'drop-oldest', 'wait')),
  spec('options.queueWaitTimeout', invalid.duration, valid.duration),
  spec('options.drainThreshold', invalid.positiveInteger, valid.positiveInteger),
  spec('options.taskTimeout', invalid.duration, valid.duration),
  spec('options.retry', fc.oneof(notObject, anArray), fc.constant({})),
  spec('options.retry.attempts', invalid.positiveInteger, fc.integer({ min: 1, max: 10 })),
  spec('options.retry.backoff', fc.oneof(notObject, anArray), fc.constant({})),
  // initialMs up to 100 and maxMs from 100: valid alone and together (initialMs may not exceed maxMs).
  spec('options.retry.backoff.initialMs', invalid.duration, fc.double({ min: 0, max: 100, noNaN: true })),
  spec('options.retry.backoff.maxMs', invalid.duration, fc.oneof(fc.double({ min: 100, max: 1e9, noNaN: true }), fc.constant(Infinity))),
  spec('options.retry.backoff.factor', invalid.atLeast1, fc.double({ min: 1, max: 10, noNaN: true })),
  spec('options.retry.backoff.jitter', fc.oneof(notNumber, negative, fc.double({ min: 1, minExcluded: true, noNaN: true }), nan, infinities), fc.double({ min: 0, max: 1, noNaN: true })),
  spec(
    'options.retry.retryIf',
    invalid.func,
    fc.constant(() => true),
  ),
  spec('options.deadLetter', fc.oneof(notObject, fc.constant({}), fc.constant({ put: 1 })), fc.constant({ put() {} })),
  spec('options.breaker', fc.oneof(notObject, fc.constant({}), fc.constant({ ...breaker, onCancel: 'no' })), fc.constant(breaker)),
  spec('options.selector', fc.oneof(notObject, fc.constant({ select: null })), fc.constant({ select: () => undefined })),
  spec(
    'options.random',
    invalid.func,
    fc.constant(() => 0.5),
  ),
  spec('options.paused', invalid.boolean, fc.boolean()),
  spec('options.observers', invalid.array, fc.constant([{ onSubmitted() {} }])),
  spec('options.clock', fc.oneof(notObject, fc.constant({ now: () => 0 })), fc.constant(clock)),
  spec(
    'options.queue',
    fc.oneof(notObject, fc.constant({ push() {}, shift() {} })),
    fc.constant(null).map(() => createDefaultQueue()),
  ),
  spec('options.maxStartFailures', invalid.positiveIntegerOrInfinity, fc.oneof(fc.integer({ min: 1, max: 10 }), fc.constant(Infinity))),
  spec('options.scaler', fc.oneof(notObject, fc.constant({ min: 1 })), fc.constant({ desired: () => 1 })),
  spec('options.scaler.min', invalid.nonNegativeInteger, fc.integer({ min: 0, max: 2 })),
  spec('options.scaler.max', invalid.positiveInteger, fc.integer({ min: 2, max: 4 })),
  spec('options.scaler.intervalMs', invalid.duration, fc.constant(1000)),
]

// Every pool gets a scaler, so the scaler's own fields always have one to sit in.
const poolBase = (): Record<string, unknown> => ({ handler, clock, scaler: { desired: () => 1 } })
const pools: Pool<unknown, unknown>[] = []
const buildPool = (options: Record<string, unknown>): Pool<unknown, unknown> => {
  const pool = createPool(options as never)
  pools.push(pool)
  return pool
}

fuzzEachOption('createPool(options)', poolBase, poolSpecs, buildPool)

describe('createPool(options): the options themselves, the executor and the handler', () => {
  it('throws a TypeError naming options for options that are not an object', () => {
    fc.assert(
      fc.property(notObject, (bad) =>
        expectOptionError(
          thrownBy(() => createPool(bad as never)),
          'options',
          bad,
        ),
      ),
      { numRuns: 60 },
    )
  })

  it('throws a TypeError naming options.handler for a handler that is not a function', () => {
    fc.assert(
      fc.property(notFunction, (bad) =>
        expectOptionError(
          thrownBy(() => createPool({ handler: bad as never })),
          'options.handler',
          bad,
        ),
      ),
      { numRuns: 60 },
    )
  })

  it('throws a TypeError naming options.executor (or its field) for an executor without spawn() or with a bad tasksPerWorker', () => {
    const spawn = () => ({ id: 1, run: async () => 1, terminate: async () => {} })
    fc.assert(
      fc.property(fc.oneof(notObject, fc.constant({ kind: 'x' })), (bad) => {
        expectOptionError(
          thrownBy(() => createPool({ executor: bad as never })),
          'options.executor',
          bad,
        )
      }),
      { numRuns: 60 },
    )
    fc.assert(
      fc.property(invalid.positiveInteger, (bad) => {
        const executor = { kind: 'x', spawn, tasksPerWorker: bad } as unknown as Executor<unknown, unknown>
        expectOptionError(
          thrownBy(() => createPool({ executor })),
          'options.executor.tasksPerWorker',
          bad,
        )
      }),
      { numRuns: 60 },
    )
  })

  it("starts no worker for invalid options: the executor's spawn() is never called", async () => {
    let spawns = 0
    const executor: Executor<unknown, unknown> = {
      kind: 'counted',
      spawn: () => {
        spawns++
        return { id: spawns, run: async (input: unknown) => input, terminate: async () => {} }
      },
    }
    fc.assert(
      fc.property(fc.constantFrom(...poolSpecs), fc.gen(), (s, gen) => {
        const options: Record<string, unknown> = { executor, clock, scaler: { desired: () => 1 } }
        const bad = gen(() => s.invalid)
        setAt(options, s.at, bad)
        expectOptionError(
          thrownBy(() => createPool(options as never)),
          s.path,
          bad,
        )
      }),
      { numRuns: 200 },
    )
    expect(spawns).toBe(0)
    // The counter does count: valid options start the pool's worker.
    await createPool({ executor, clock }).destroy()
    expect(spawns).toBe(1)
  })

  it('throws a RangeError naming both options when they conflict', () => {
    expect(() => createPool({ handler, executor: inProcess(handler) })).toThrowError(RangeError)
    expect(() => createPool({ handler, retry: { backoff: { initialMs: 200, maxMs: 100 } } })).toThrowError(/initialMs \(200\).*maxMs \(100\)/)
    expect(() => createPool({ handler, scaler: { desired: () => 1, min: 3, max: 2 } })).toThrowError(/options\.scaler\.min \(3\).*options\.scaler\.max \(2\)/)
  })

  it('accepts any mix of valid options, boundaries included, and leaves no timer once the pools are destroyed', async () => {
    fc.assert(
      fc.property(optionsArbitrary(poolBase, poolSpecs, undefined), (options) => {
        expect(buildPool(options).state).toMatch(/^(open|paused)$/)
      }),
      { numRuns: 150 },
    )
    const boundaries = [
      { maxQueue: 0 },
      { maxQueue: Infinity, queueWaitTimeout: 0, onQueueFull: 'wait' },
      { taskTimeout: 0 },
      { taskTimeout: Infinity },
      { retry: { attempts: 1, backoff: { initialMs: 0, maxMs: 0, factor: 1, jitter: 0 } } },
      { retry: { backoff: { jitter: 1, maxMs: Infinity } } },
      { maxStartFailures: Infinity },
      { maxStartFailures: 1 },
      { scaler: { desired: () => 1, min: 0, max: 1 } },
      { paused: false, observers: [], name: '' },
    ]
    for (const extra of boundaries) expect(() => buildPool({ handler, clock, ...extra })).not.toThrow()
    await Promise.all(pools.splice(0).map((pool) => pool.destroy()))
    expect(clock.pending).toBe(0)
  })
})

// ---------------------------------------------------------------- per-call options

const runSpecs: readonly OptionSpec[] = [
  spec('options.priority', invalid.finite, fc.integer({ min: -5, max: 5 })),
  spec('options.timeout', invalid.duration, valid.duration),
  spec('options.key', invalid.string, fc.string()),
  spec('options.name', invalid.string, fc.string()),
  spec('options.signal', fc.oneof(notObject, plainObject, fc.constant({ addEventListener() {} })), fc.constant(new AbortController().signal)),
  spec('options.transfer', fc.oneof(notObject, plainObject), fc.constant([])),
]

describe('run(), submit(), map() and runAll() options', () => {
  const spy = vi.fn(handler)
  const pool = createPool({ handler: spy, clock: createVirtualClock() })

  it.each(runSpecs.map((s) => [s.path, s] as const))('rejects run() at once with a TypeError naming %s and the value; the handler never runs', async (_path, s) => {
    await fc.assert(
      fc.asyncProperty(
        s.invalid,
        optionsArbitrary(() => ({}), runSpecs, s),
        async (bad, options) => {
          setAt(options, s.at, bad)
          expectOptionError(await rejectionOf(pool.run(1, options)), s.path, bad)
          let error: unknown
          expect(pool.submit(1, (result) => (error = result.ok ? undefined : result.error), options)).toBe(-1)
          expectOptionError(error, s.path, bad)
          expectOptionError(
            thrownBy(() => pool.map([1], options)),
            s.path,
            bad,
          )
          expectOptionError(await rejectionOf(pool.runAll([1], options)), s.path, bad)
        },
      ),
      { numRuns: 40 },
    )
    expect(spy).not.toHaveBeenCalled()
  })

  it('rejects run options that are not an object, and map()/runAll() window, ordered and onProgress, naming each', async () => {
    await fc.assert(
      fc.asyncProperty(notObject, async (bad) => {
        expectOptionError(await rejectionOf(pool.run(1, bad as never)), 'options', bad)
      }),
      { numRuns: 40 },
    )
    await fc.assert(
      fc.asyncProperty(invalid.positiveInteger, invalid.boolean, invalid.func, async (window, ordered, onProgress) => {
        expectOptionError(
          thrownBy(() => pool.map([1], { window: window as never })),
          'options.window',
          window,
        )
        expectOptionError(
          thrownBy(() => pool.map([1], { ordered: ordered as never })),
          'options.ordered',
          ordered,
        )
        expectOptionError(await rejectionOf(pool.runAll([1], { window: window as never })), 'options.window', window)
        expectOptionError(await rejectionOf(pool.runAll([1], { onProgress: onProgress as never })), 'options.onProgress', onProgress)
      }),
      { numRuns: 60 },
    )
    expect(spy).not.toHaveBeenCalled()
  })

  it('accepts valid run options, boundaries included: the task runs', async () => {
    await fc.assert(
      fc.asyncProperty(
        optionsArbitrary(() => ({}), runSpecs, undefined),
        async (options) => {
          await expect(settlesSoon(pool.run(7, options))).resolves.toBe(7)
        },
      ),
      { numRuns: 60 },
    )
    await expect(settlesSoon(pool.run(7, { priority: -Number.MAX_VALUE, timeout: 0, key: '', name: '' }))).resolves.toBe(7)
  })

  it('throws a TypeError naming options.timeout for close() and resize(workers) for resize(), and nothing is closed or resized', async () => {
    fc.assert(
      fc.property(invalid.duration, invalid.positiveInteger, notObject, (timeout, workers, options) => {
        expectOptionError(
          thrownBy(() => pool.close({ timeout: timeout as never })),
          'options.timeout',
          timeout,
        )
        expectOptionError(
          thrownBy(() => pool.close(options as never)),
          'options',
          options,
        )
        expectOptionError(
          thrownBy(() => pool.resize(workers as never)),
          'resize(workers)',
          workers,
        )
      }),
      { numRuns: 60 },
    )
    expect(pool.state).toBe('open')
    expect(pool.stats().targetWorkers).toBe(1)
    await pool.close({ timeout: 0 })
  })
})

// ---------------------------------------------------------------- other factories

describe('createVirtualClock(options)', () => {
  it('throws a TypeError naming options.now (or options) for each invalid value', () => {
    fc.assert(
      fc.property(invalid.finite, (bad) =>
        expectOptionError(
          thrownBy(() => createVirtualClock({ now: bad as never })),
          'options.now',
          bad,
        ),
      ),
      { numRuns: 60 },
    )
    fc.assert(
      fc.property(notObject, (bad) =>
        expectOptionError(
          thrownBy(() => createVirtualClock(bad as never)),
          'options',
          bad,
        ),
      ),
      { numRuns: 40 },
    )
  })

  it('accepts any finite start time', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (now) => {
        expect(createVirtualClock({ now }).now()).toBe(now)
      }),
    )
  })
})

describe('concurrencyFromEnv(name, fallback) and inProcess(handler)', () => {
  it('throw a TypeError naming the argument for each invalid value', () => {
    fc.assert(
      fc.property(fc.oneof(notString, fc.constant('')), invalid.positiveInteger, notFunction, (name, fallback, handlerValue) => {
        expectOptionError(
          thrownBy(() => concurrencyFromEnv(name as never, 1)),
          'concurrencyFromEnv(name)',
          name,
        )
        expectOptionError(
          thrownBy(() => concurrencyFromEnv('POOLKIT_FUZZ_UNSET', fallback as never)),
          'fallback',
          fallback,
        )
        expectOptionError(
          thrownBy(() => inProcess(handlerValue as never)),
          'options.handler',
          handlerValue,
        )
      }),
      { numRuns: 80 },
    )
  })
})

const remoteSpecs: readonly OptionSpec[] = [
  spec('options.concurrentTasksPerWorker', fc.oneof(invalid.positiveIntegerOrInfinity, fc.constant(Infinity)), fc.integer({ min: 1, max: 64 })),
  spec('options.prefetch', invalid.nonNegativeInteger, fc.integer({ min: 0, max: 1024 })),
  spec('options.prefetchMs', invalid.positiveDuration, fc.oneof(fc.double({ min: Number.MIN_VALUE, max: 1e6, noNaN: true }), fc.constant(Infinity))),
  spec('options.maxTasksPerWorker', invalid.positiveIntegerOrInfinity, fc.oneof(valid.positiveInteger, fc.constant(Infinity))),
  spec('options.unresponsiveTimeout', invalid.duration, valid.duration),
  spec('options.abortTimeout', invalid.duration, valid.duration),
  spec('options.closeTimeout', invalid.duration, valid.duration),
  spec(
    'options.errorClasses',
    fc.oneof(notObject, plainObject, fc.constant([RangeError, 'QuotaError']), fc.constant(new Map([['QuotaError', 5]]))),
    fc.constantFrom([], [RangeError], new Map([['QuotaError', Error]])),
  ),
]

fuzzEachOption(
  'resolveRemoteWorkerOptions(settings), the checks every adapter shares',
  () => ({}),
  remoteSpecs,
  (options) => resolveRemoteWorkerOptions(options as never),
)

describe('resolveRemoteWorkerOptions(settings): valid settings', () => {
  it('accepts any mix of valid settings and fills in the rest', () => {
    fc.assert(
      fc.property(
        optionsArbitrary(() => ({}), remoteSpecs, undefined),
        (settings) => {
          expect(resolveRemoteWorkerOptions(settings).concurrentTasksPerWorker).toBeGreaterThanOrEqual(1)
        },
      ),
      { numRuns: 100 },
    )
    fc.assert(
      fc.property(notObject, (bad) =>
        expectOptionError(
          thrownBy(() => resolveRemoteWorkerOptions(bad as never)),
          'options',
          bad,
        ),
      ),
      { numRuns: 40 },
    )
  })
})

describe('sizes past what a pool can make', () => {
  it('refuses concurrency, scaler.min, scaler.max and resize() above 1,048,576 with a RangeError naming them, instead of making that many slots', async () => {
    const handler = async (n: number): Promise<number> => n
    expect(() => createPool({ handler, concurrency: 1e9 })).toThrow(new RangeError('options.concurrency must be at most 1048576 (each worker or slot is made up front), got 1000000000'))
    expect(() => createPool({ handler, scaler: { max: 2 ** 21, desired: () => 1 } })).toThrow(/^options\.scaler\.max must be at most 1048576/)
    expect(() => createPool({ handler, scaler: { min: 2 ** 21, max: 2 ** 22, desired: () => 1 } })).toThrow(RangeError)
    const pool = createPool({ handler, concurrency: 2 })
    expect(() => pool.resize(2 ** 20 + 1)).toThrow(new RangeError('resize(workers) must be at most 1048576 (each worker or slot is made up front), got 1048577'))
    expect(pool.stats().targetWorkers).toBe(2)
    // The bound itself is accepted.
    expect(() => createPool({ handler, scaler: { max: 2 ** 20, desired: () => 1 } }).close()).not.toThrow()
    await pool.close()
  })
})
