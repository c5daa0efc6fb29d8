// Fuzzes the options of threads() and processes(), and the run options of a
// pool over them: each invalid value throws (run: rejects with) a TypeError or
// RangeError that names the option and the value, at once, and no thread or
// child process is started for it. Valid values next to it are accepted.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createPool } from '@poolkit/core'
import type { Pool } from '@poolkit/core'
import {
  aFunction,
  anArray,
  expectOptionError,
  fractional,
  infinities,
  nan,
  negative,
  notNumber,
  notObject,
  notString,
  optionsArbitrary,
  plainObject,
  rejectionOf,
  setAt,
  settlesSoon,
  spec,
  symbol,
  thrownBy,
} from '@poolkit/test-utils'
import type { OptionSpec } from '@poolkit/test-utils'
import { processes, threads } from '../src/index.js'
import { execArgv, fixture } from './helpers.js'

// Every thread and child process the adapter starts goes through these two
// constructors: counting them is what tells that none was started.
const started = vi.hoisted(() => ({ threads: 0, processes: 0 }))
vi.mock('node:worker_threads', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:worker_threads')>()
  class CountedWorker extends actual.Worker {
    constructor(...args: ConstructorParameters<typeof actual.Worker>) {
      started.threads++
      super(...args)
    }
  }
  return { ...actual, Worker: CountedWorker }
})
vi.mock('node:child_process', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:child_process')>()
  return { ...actual, fork: (...args: Parameters<typeof actual.fork>) => (started.processes++, actual.fork(...args)) }
})

const invalid = {
  positiveIntegerOrInfinity: fc.oneof(notNumber, negative, fc.constant(0), fractional, nan, fc.constant(-Infinity)),
  nonNegativeInteger: fc.oneof(notNumber, negative, fractional, nan, infinities),
  duration: fc.oneof(notNumber, negative, nan, fc.constant(-Infinity)),
  stringArray: fc.oneof(notObject, plainObject, aFunction, fc.constant([1]), fc.constant(['--x', null])),
}
const duration = fc.oneof(fc.constantFrom(0, Infinity), fc.double({ min: 0, max: 1e9, noNaN: true }))
const worker = fixture('echo.worker.mjs')

const sharedSpecs: readonly OptionSpec[] = [
  spec('options.env', notObject, fc.constant({ POOLKIT_FUZZ: '1' })),
  spec('options.argv', invalid.stringArray, fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 })),
  spec('options.execArgv', invalid.stringArray, fc.constant(execArgv)),
  spec('options.name', notString, fc.string({ maxLength: 10 })),
  spec('options.concurrentTasksPerWorker', fc.oneof(invalid.positiveIntegerOrInfinity, fc.constant(Infinity)), fc.integer({ min: 1, max: 64 })),
  spec('options.prefetch', invalid.nonNegativeInteger, fc.integer({ min: 0, max: 1024 })),
  spec('options.prefetchMs', fc.oneof(notNumber, negative, fc.constant(0), nan, fc.constant(-Infinity)), fc.oneof(fc.double({ min: 0.001, max: 1e6, noNaN: true }), fc.constant(Infinity))),
  spec('options.idleTimeout', invalid.duration, duration),
  spec('options.minWorkers', invalid.nonNegativeInteger, fc.integer({ min: 0, max: 8 })),
  spec('options.maxTasksPerWorker', invalid.positiveIntegerOrInfinity, fc.oneof(fc.integer({ min: 1, max: 1e6 }), fc.constant(Infinity))),
  spec('options.maxHeapBeforeRecycle', fc.oneof(notNumber, negative, fc.constant(0), nan, fc.constant(-Infinity)), fc.oneof(fc.double({ min: 1, max: 1e6, noNaN: true }), fc.constant(Infinity))),
  spec('options.unresponsiveTimeout', invalid.duration, duration),
  spec('options.abortTimeout', invalid.duration, duration),
  spec('options.closeTimeout', invalid.duration, duration),
  spec('options.errorClasses', fc.oneof(notObject, plainObject, fc.constant([RangeError, 'QuotaError'])), fc.constantFrom([], [RangeError], new Map([['QuotaError', Error]]))),
]

const threadSpecs: readonly OptionSpec[] = [
  ...sharedSpecs,
  // Structured clone copies it to each thread: what it cannot copy is refused now, not at every start.
  spec('options.workerData', fc.oneof(aFunction, symbol, fc.constant({ callback: () => 1 }), fc.constant(new WeakMap())), fc.oneof(fc.jsonValue(), fc.constant(new Map([[1, 2n]])))),
  spec('options.resourceLimits', fc.oneof(fc.double(), fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), fc.bigInt(), symbol), fc.constant({})),
  ...['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'].map((field) =>
    spec(`options.resourceLimits.${field}`, fc.oneof(notNumber, negative, fc.constant(0), nan, infinities), fc.integer({ min: 4, max: 512 })),
  ),
]

const processSpecs: readonly OptionSpec[] = [
  ...sharedSpecs,
  // Children get it over their IPC channel, with either serialization (a random
  // 'json' may sit beside it): what neither carries is refused now. What only
  // 'json' refuses is in worker-data.test.ts.
  spec('options.workerData', fc.oneof(aFunction, symbol, fc.constant({ callback: () => 1 }), fc.constant(new WeakMap())), fc.jsonValue()),
  spec('options.serialization', fc.oneof(fc.constantFrom('v8', 'JSON', 'structured', ''), notString), fc.constantFrom('advanced', 'json')),
]

const kinds = [
  ['threads', threads, threadSpecs],
  ['processes', processes, processSpecs],
] as const

describe.each(kinds)('%s(workerUrl, options)', (kind, factory, specs) => {
  it.each(specs.map((s) => [s.path, s] as const))('throws a TypeError or RangeError naming %s and the value for each invalid value, and starts nothing', (_path, s) => {
    const before = { ...started }
    fc.assert(
      fc.property(
        s.invalid,
        optionsArbitrary(() => ({ execArgv }), specs, s),
        (bad, options) => {
          setAt(options, s.at, bad)
          expectOptionError(
            thrownBy(() => factory(worker, options)),
            s.path,
            bad,
          )
        },
      ),
      { numRuns: 60 },
    )
    expect(started).toEqual(before)
  })

  it('throws a TypeError naming workerUrl or options for a worker URL that is not a path or a loadable URL, or options that are not an object', () => {
    const before = { ...started }
    const badUrl = fc.oneof(
      notString.filter((v) => !(v instanceof URL)),
      fc.constant(''),
      fc.constantFrom('https://example.test/w.js', 'http://[::1', 'node:fs', 'blob:x'),
      fc.constant(new URL('https://example.test/w.js')),
      // Source text is a path to Node, never code: it names no worker to load.
      fc.constant(() => 'console.log(1)'),
    )
    fc.assert(
      fc.property(badUrl, fc.oneof(fc.double(), fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), fc.bigInt(), symbol), (url, options) => {
        expectOptionError(
          thrownBy(() => factory(url as never, { execArgv })),
          'workerUrl',
          url instanceof URL ? String(url) : url,
        )
        expectOptionError(
          thrownBy(() => factory(worker, options as never)),
          'options',
          options,
        )
      }),
      { numRuns: 80 },
    )
    if (kind === 'processes')
      expectOptionError(
        thrownBy(() => factory('data:text/javascript,1', { execArgv })),
        'workerUrl',
        'data:text/javascript,1',
      )
    expect(started).toEqual(before)
  })

  it('accepts any mix of valid options, and starts no worker until a pool asks for one', () => {
    const before = { ...started }
    fc.assert(
      fc.property(
        fc.constantFrom<string | URL>(worker, worker.pathname, worker.href),
        optionsArbitrary(() => ({ execArgv }), specs, undefined),
        (url, options) => {
          expect(factory(url, options).kind).toBe(kind)
        },
      ),
      { numRuns: 100 },
    )
    expect(started).toEqual(before)
  })
})

// ---------------------------------------------------------------- run options on a real pool

describe.each(kinds)('run options on a %s pool', (kind, factory) => {
  let pool: Pool<unknown, unknown>
  beforeAll(() => {
    pool = createPool<unknown, unknown>({ executor: factory(worker, { execArgv }), concurrency: 1 })
  })
  afterAll(() => pool.destroy())

  const runSpecs: readonly OptionSpec[] = [
    spec('options.priority', fc.oneof(notNumber, nan, infinities), fc.integer({ min: -5, max: 5 })),
    spec('options.timeout', invalid.duration, fc.oneof(fc.constantFrom(0, Infinity), fc.integer({ min: 1000, max: 1e6 }))),
    spec('options.key', notString, fc.string({ maxLength: 5 })),
    spec('options.name', fc.oneof(fc.double(), fc.boolean(), fc.constant(null), fc.bigInt(), symbol, plainObject, anArray, aFunction), fc.constantFrom('echo', undefined)),
    spec('options.signal', fc.oneof(notObject, plainObject), fc.constant(new AbortController().signal)),
    spec('options.transfer', fc.oneof(notObject, plainObject), fc.constant([])),
  ]

  it('starts its one worker: the counter sees real starts', async () => {
    const before = { ...started }
    await settlesSoon(pool.ready())
    await expect(settlesSoon(pool.run('ready'))).resolves.toBe('ready')
    expect(started[kind] - before[kind]).toBeLessThanOrEqual(1)
    expect(started[kind]).toBeGreaterThanOrEqual(1)
  })

  it.each(runSpecs.map((s) => [s.path, s] as const))('rejects run() at once with a TypeError naming %s and the value: nothing is sent, no worker starts', async (_path, s) => {
    await settlesSoon(pool.ready())
    const before = { ...started }
    const counters = pool.stats().counters
    await fc.assert(
      fc.asyncProperty(
        s.invalid,
        optionsArbitrary(() => ({}), runSpecs, s),
        async (bad, options) => {
          setAt(options, s.at, bad)
          expectOptionError(await rejectionOf(pool.run('x', options)), s.path, bad)
        },
      ),
      { numRuns: 30 },
    )
    expect(started).toEqual(before)
    expect(pool.stats().counters.started).toBe(counters.started)
    expect(pool.stats().workers).toMatchObject({ total: 1, busy: 0 })
  })

  it('runs tasks with any mix of valid run options on the same worker', async () => {
    const before = { ...started }
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue(),
        optionsArbitrary(() => ({}), runSpecs, undefined),
        async (input, options) => {
          await expect(settlesSoon(pool.run(input, options))).resolves.toEqual(input)
        },
      ),
      { numRuns: 20 },
    )
    expect(started).toEqual(before)
  })
})
