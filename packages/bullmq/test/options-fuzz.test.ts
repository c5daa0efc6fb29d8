// Fuzzes the options of consume(), createRemotePool() and createQueueMetrics():
// each invalid value throws (or, for consume, rejects with) a TypeError or
// RangeError naming the option and the value, before any connection to Redis is
// made. The connection given points at a closed port, so an option that slipped
// through would fail with ERR_BULLMQ_CONNECTION instead, and the test with it.
import { createPool, systemClock } from '@poolkit/core'
import fc from 'fast-check'
import { afterAll, describe, it } from 'vitest'
import {
  anArray,
  expectOptionError,
  fractional,
  infinities,
  nan,
  negative,
  notFunction,
  notNumber,
  notObject,
  notString,
  optionsArbitrary,
  plainObject,
  rejectionOf as rejectionOfStart,
  setAt,
  spec,
  symbol,
  thrownBy,
} from '@poolkit/test-utils'
import type { OptionSpec } from '@poolkit/test-utils'
import { consume, createQueueMetrics, createRemotePool } from '../src/index.js'

const connection = { host: '127.0.0.1', port: 1, maxRetriesPerRequest: null }
const pool = createPool<number, number>({ handler: (n) => n })
afterAll(() => pool.close())

const invalidPositiveDuration = fc.oneof(notNumber, negative, fc.constant(0), nan, fc.constant(-Infinity))
const invalidDuration = fc.oneof(notNumber, negative, nan, fc.constant(-Infinity))
const invalidQueueName = fc.oneof(
  notString,
  fc.constant(''),
  fc.string({ maxLength: 5 }).map((s) => `${s}:${s}`),
)

const consumeSpecs: readonly OptionSpec[] = [
  spec('options.prefetch', fc.oneof(notNumber, negative, fractional, nan, infinities), fc.integer({ min: 0, max: 16 })),
  spec('options.maxConcurrency', fc.oneof(notNumber, negative, fc.constant(0), fractional, nan, fc.constant(-Infinity)), fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constant(Infinity))),
  spec('options.capacityIntervalMs', invalidPositiveDuration, fc.integer({ min: 1, max: 10_000 })),
  // Short, so an invalid value that slipped through fails fast on the closed port instead of waiting.
  spec('options.connectTimeout', invalidPositiveDuration, fc.integer({ min: 1, max: 200 })),
  spec('options.closeTimeout', invalidDuration, fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.constant(Infinity))),
  spec(
    'options.input',
    fc.oneof(
      fc.string({ maxLength: 6 }).filter((s) => s !== 'data' && s !== 'envelope'),
      fc.double(),
      fc.constant(null),
      symbol,
      plainObject,
    ),
    fc.constantFrom('data', 'envelope'),
  ),
  spec(
    'options.retries',
    fc.oneof(
      fc.string({ maxLength: 6 }).filter((s) => s !== 'bullmq' && s !== 'pool'),
      fc.double(),
      fc.constant(null),
      symbol,
      plainObject,
    ),
    fc.constantFrom('bullmq', 'pool'),
  ),
  spec(
    'options.taskName',
    notFunction,
    fc.constant(() => 'default'),
  ),
  spec(
    'options.key',
    notFunction,
    fc.constant(() => undefined),
  ),
  spec('options.pool', fc.oneof(notObject, plainObject, anArray), fc.constant(pool)),
  spec('options.connection', fc.oneof(fc.double(), fc.string({ maxLength: 5 }), fc.boolean(), fc.constant(null), symbol, anArray), fc.constant(connection)),
  spec('options.clock', fc.oneof(notObject, plainObject, anArray), fc.constant(systemClock)),
]

/** The rejection of `start()` (or the throw of starting it), failing if it resolves; a consumer that starts anyway is closed. */
const rejectionOf = (start: () => Promise<unknown>): Promise<unknown> => rejectionOfStart(start, (consumer) => (consumer as { close(): Promise<unknown> }).close())

describe('consume(queueName, options)', () => {
  it.each(consumeSpecs.map((s) => [s.path, s] as const))('rejects with a TypeError or RangeError naming %s and the value, before connecting', async (_path, s) => {
    await fc.assert(
      fc.asyncProperty(
        s.invalid,
        optionsArbitrary(() => ({ connection, pool, connectTimeout: 200 }), consumeSpecs, s),
        async (bad, options) => {
          setAt(options, s.at, bad)
          expectOptionError(await rejectionOf(() => consume('fuzz', options as never)), s.path, bad)
        },
      ),
      { numRuns: 40 },
    )
  })

  it('rejects a queue name that is not a non-empty string without a colon, and options that are not an object', async () => {
    await fc.assert(
      fc.asyncProperty(invalidQueueName, async (bad) => expectOptionError(await rejectionOf(() => consume(bad as never, { connection, pool })), 'queueName', bad)),
      { numRuns: 40 },
    )
    await fc.assert(
      fc.asyncProperty(fc.oneof(notObject, anArray), async (bad) => expectOptionError(await rejectionOf(() => consume('fuzz', bad as never)), 'options', bad)),
      { numRuns: 40 },
    )
  })
})

describe('createRemotePool(options)', () => {
  const remoteSpecs: readonly OptionSpec[] = [
    spec('options.queueName', invalidQueueName, fc.constant('fuzz')),
    spec('options.connection', fc.oneof(fc.double(), fc.string({ maxLength: 5 }), fc.boolean(), fc.constant(null), symbol, anArray), fc.constant(connection)),
    spec('options.prefix', notString, fc.constant('bull')),
    spec('options.jobOptions', fc.oneof(notObject, anArray), fc.constant({ attempts: 2 })),
    spec('options.connectTimeout', invalidPositiveDuration, fc.integer({ min: 1, max: 10_000 })),
    spec('options.clock', fc.oneof(notObject, plainObject, anArray), fc.constant(systemClock)),
  ]
  it.each(remoteSpecs.map((s) => [s.path, s] as const))('throws a TypeError or RangeError naming %s and the value', (_path, s) => {
    fc.assert(
      fc.property(
        s.invalid,
        optionsArbitrary(() => ({ queueName: 'fuzz', connection }), remoteSpecs, s),
        (bad, options) => {
          setAt(options, s.at, bad)
          expectOptionError(
            thrownBy(() => createRemotePool(options as never)),
            s.path,
            bad,
          )
        },
      ),
      { numRuns: 40 },
    )
  })
})

describe('createQueueMetrics(queueName, options)', () => {
  const metricsSpecs: readonly OptionSpec[] = [
    spec('options.connection', fc.oneof(fc.double(), fc.string({ maxLength: 5 }), fc.boolean(), fc.constant(null), symbol, anArray), fc.constant(connection)),
    spec('options.prefix', notString, fc.constant('bull')),
    spec('options.intervalMs', invalidPositiveDuration, fc.integer({ min: 1, max: 60_000 })),
    spec('options.connectTimeout', invalidPositiveDuration, fc.integer({ min: 1, max: 10_000 })),
    spec('options.clock', fc.oneof(notObject, plainObject, anArray), fc.constant(systemClock)),
  ]
  it.each(metricsSpecs.map((s) => [s.path, s] as const))('throws a TypeError or RangeError naming %s and the value', (_path, s) => {
    fc.assert(
      fc.property(
        s.invalid,
        optionsArbitrary(() => ({ connection }), metricsSpecs, s),
        (bad, options) => {
          setAt(options, s.at, bad)
          expectOptionError(
            thrownBy(() => createQueueMetrics('fuzz', options as never)),
            s.path,
            bad,
          )
        },
      ),
      { numRuns: 40 },
    )
  })
})
