// Fuzzes the options of consume(), createRemotePool() and createQueueMetrics():
// each invalid value throws (or, for consume, rejects with) a TypeError or
// RangeError naming the option and the value, before any connection to Redis is
// made. The connection given points at a closed port, so an option that slipped
// through would fail with ERR_BULLMQ_CONNECTION instead, and the test with it.
import { createPool, systemClock } from '@poolkit/core'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { consume, createQueueMetrics, createRemotePool } from '../src/index.js'

// ---------------------------------------------------------------- arbitraries

const symbol = fc.string({ maxLength: 5 }).map((s) => Symbol(s))
const plainObject = fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxKeys: 3 })
const anArray = fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxLength: 3 })
const aFunction = fc.constant(() => 1)
/** Anything but a number. */
const notNumber = fc.oneof(fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), fc.bigInt(), symbol, plainObject, anArray, aFunction)
/** Anything but a string (and not undefined, which means "not given"). */
const notString = fc.oneof(fc.double(), fc.boolean(), fc.constant(null), fc.bigInt(), symbol, plainObject, anArray, aFunction)
const notFunction = fc.oneof(fc.double(), fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), fc.bigInt(), symbol, plainObject, anArray)
/** Not an object at all (arrays and functions are left to each option's own arbitrary). */
const notObject = fc.oneof(fc.double(), fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), fc.bigInt(), symbol)
const negative = fc.oneof(fc.integer({ min: -1_000_000, max: -1 }), fc.double({ max: -Number.MIN_VALUE, noNaN: true }))
const fractional = fc.double({ min: Number.MIN_VALUE, max: 1e9, noInteger: true, noNaN: true, noDefaultInfinity: true })
const nan = fc.constant(Number.NaN)
const infinities = fc.constantFrom(Infinity, -Infinity)

// ---------------------------------------------------------------- checks

/** How the packages' messages write a value (`describe()`): strings quoted, objects by kind. */
function describeLike(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (value === null || typeof value !== 'object') return String(value)
  return Array.isArray(value) ? 'an array' : 'an object'
}

/**
 * What a message about `value` may show: the value, or for an object whose
 * fault is one of its members (`options.clock.now must be a function, got
 * undefined`), that member.
 */
function descriptionsOf(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return [describeLike(value)]
  const members = value instanceof Map ? [...value.values()] : Object.values(value)
  return [describeLike(value), 'an empty object', 'undefined', ...members.map(describeLike)]
}

/** Asserts `error` is a TypeError or RangeError whose message names `path` and describes `value`. */
function expectOptionError(error: unknown, path: string, value: unknown): void {
  expect(error instanceof TypeError || error instanceof RangeError, `expected a TypeError or RangeError, got ${String(error)}`).toBe(true)
  const message = (error as Error).message
  expect(message).toContain(path)
  expect(descriptionsOf(value).some((d) => message.includes(d)), `${message} should describe the value`).toBe(true)
}

/** The error `build()` throws, failing if it returns. */
function thrownBy(build: () => unknown): unknown {
  try {
    build()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw, it returned')
}

interface OptionSpec {
  /** The option as messages name it. */
  readonly path: string
  /** Where it sits in the options object. */
  readonly at: readonly string[]
  readonly invalid: fc.Arbitrary<unknown>
  readonly valid: fc.Arbitrary<unknown>
}

const spec = (path: string, invalidValues: fc.Arbitrary<unknown>, validValues: fc.Arbitrary<unknown>): OptionSpec => ({
  path,
  at: path.replace(/^options\./, '').split('.'),
  invalid: invalidValues,
  valid: validValues,
})

function setAt(target: Record<string, unknown>, at: readonly string[], value: unknown): void {
  let node = target
  for (const key of at.slice(0, -1)) {
    const next = node[key]
    node = (node[key] = typeof next === 'object' && next !== null ? { ...(next as object) } : {}) as Record<string, unknown>
  }
  node[at.at(-1)!] = value
}

const overlaps = (a: readonly string[], b: readonly string[]): boolean => a.every((k, i) => b[i] === undefined || b[i] === k) || b.every((k, i) => a[i] === undefined || a[i] === k)

/** Options made of `base`, a random set of valid values for the specs that do not overlap `skip`, and nothing at `skip`. */
function optionsArbitrary(base: () => Record<string, unknown>, specs: readonly OptionSpec[], skip: OptionSpec | undefined): fc.Arbitrary<Record<string, unknown>> {
  const others = specs.filter((s) => skip === undefined || !overlaps(s.at, skip.at))
  return fc.tuple(...others.map((s) => fc.option(s.valid, { nil: undefined }))).map((values) => {
    const options = base()
    values.forEach((value, i) => {
      if (value !== undefined) setAt(options, others[i]!.at, value)
    })
    return options
  })
}

const connection = { host: '127.0.0.1', port: 1, maxRetriesPerRequest: null }
const pool = createPool<number, number>({ handler: (n) => n })
afterAll(() => pool.close())

const invalidPositiveDuration = fc.oneof(notNumber, negative, fc.constant(0), nan, fc.constant(-Infinity))
const invalidDuration = fc.oneof(notNumber, negative, nan, fc.constant(-Infinity))
const invalidQueueName = fc.oneof(notString, fc.constant(''), fc.string({ maxLength: 5 }).map((s) => `${s}:${s}`))

const consumeSpecs: readonly OptionSpec[] = [
  spec('options.prefetch', fc.oneof(notNumber, negative, fractional, nan, infinities), fc.integer({ min: 0, max: 16 })),
  spec('options.maxConcurrency', fc.oneof(notNumber, negative, fc.constant(0), fractional, nan, fc.constant(-Infinity)), fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constant(Infinity))),
  spec('options.capacityIntervalMs', invalidPositiveDuration, fc.integer({ min: 1, max: 10_000 })),
  // Short, so an invalid value that slipped through fails fast on the closed port instead of waiting.
  spec('options.connectTimeout', invalidPositiveDuration, fc.integer({ min: 1, max: 200 })),
  spec('options.closeTimeout', invalidDuration, fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.constant(Infinity))),
  spec('options.input', fc.oneof(fc.string({ maxLength: 6 }).filter((s) => s !== 'data' && s !== 'envelope'), fc.double(), fc.constant(null), symbol, plainObject), fc.constantFrom('data', 'envelope')),
  spec('options.retries', fc.oneof(fc.string({ maxLength: 6 }).filter((s) => s !== 'bullmq' && s !== 'pool'), fc.double(), fc.constant(null), symbol, plainObject), fc.constantFrom('bullmq', 'pool')),
  spec('options.taskName', notFunction, fc.constant(() => 'default')),
  spec('options.key', notFunction, fc.constant(() => undefined)),
  spec('options.pool', fc.oneof(notObject, plainObject, anArray), fc.constant(pool)),
  spec('options.connection', fc.oneof(fc.double(), fc.string({ maxLength: 5 }), fc.boolean(), fc.constant(null), symbol, anArray), fc.constant(connection)),
  spec('options.clock', fc.oneof(notObject, plainObject, anArray), fc.constant(systemClock)),
]

/** The rejection of `promise` (or the throw of starting it), failing if it resolves. */
async function rejectionOf(start: () => Promise<unknown>): Promise<unknown> {
  try {
    const consumer = (await start()) as { close(): Promise<unknown> }
    await consumer.close()
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection, it resolved')
}

describe('consume(queueName, options)', () => {
  it.each(consumeSpecs.map((s) => [s.path, s] as const))('rejects with a TypeError or RangeError naming %s and the value, before connecting', async (_path, s) => {
    await fc.assert(
      fc.asyncProperty(s.invalid, optionsArbitrary(() => ({ connection, pool, connectTimeout: 200 }), consumeSpecs, s), async (bad, options) => {
        setAt(options, s.at, bad)
        expectOptionError(await rejectionOf(() => consume('fuzz', options as never)), s.path, bad)
      }),
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
      fc.property(s.invalid, optionsArbitrary(() => ({ queueName: 'fuzz', connection }), remoteSpecs, s), (bad, options) => {
        setAt(options, s.at, bad)
        expectOptionError(thrownBy(() => createRemotePool(options as never)), s.path, bad)
      }),
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
      fc.property(s.invalid, optionsArbitrary(() => ({ connection }), metricsSpecs, s), (bad, options) => {
        setAt(options, s.at, bad)
        expectOptionError(thrownBy(() => createQueueMetrics('fuzz', options as never)), s.path, bad)
      }),
      { numRuns: 40 },
    )
  })
})
