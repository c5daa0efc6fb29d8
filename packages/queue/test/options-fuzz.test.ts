// Fuzzes the options of every queue factory: each invalid value throws a
// TypeError or RangeError that names the option and the value, when the queue
// is built; valid values next to it are accepted.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  aFunction,
  anArray,
  expectOptionError,
  fractional,
  fuzzEachOption,
  infinities,
  nan,
  negative,
  notFunction,
  notNumber,
  notObject,
  notString,
  optionsArbitrary,
  plainObject,
  spec,
  thrownBy,
} from '@poolkit/test-utils'
import type { OptionSpec } from '@poolkit/test-utils'
import type { TaskInfo } from '@poolkit/core'
import { createDeadLetterQueue, createFairQueue, createFifoQueue, createPriorityQueue } from '../src/index.js'

const positiveWeight = fc.double({ min: 1e-6, max: 1e6, noNaN: true })
const invalidWeight = fc.oneof(notNumber, negative, fc.constant(0), nan, infinities)
const invalidPositiveIntegerOrInfinity = fc.oneof(notNumber, negative, fc.constant(0), fractional, nan, fc.constant(-Infinity))

const fairSpecs: readonly OptionSpec[] = [
  spec('options.defaultWeight', invalidWeight, positiveWeight),
  spec('options.maxPerKey', invalidPositiveIntegerOrInfinity, fc.oneof(fc.integer({ min: 1, max: 1e6 }), fc.constant(Infinity))),
  spec('options.weights', fc.oneof(notObject, anArray, aFunction), fc.dictionary(fc.string({ maxLength: 6 }), positiveWeight, { maxKeys: 4 })),
  spec(
    'options.key',
    notFunction,
    fc.constant((task: TaskInfo) => task.labels?.tenant),
  ),
]

fuzzEachOption(
  'createFairQueue(options)',
  () => ({}),
  fairSpecs,
  (options) => createFairQueue(options),
)

describe('createFairQueue(options): weights, the options object, valid values', () => {
  it('throws a TypeError naming the weight of the key, and the value, for each invalid weight in an object or a Map', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 6 }),
        invalidWeight,
        optionsArbitrary(() => ({}), fairSpecs.slice(0, 2), undefined),
        (key, bad, options) => {
          const path = `options.weights[${JSON.stringify(key)}]`
          expectOptionError(
            thrownBy(() => createFairQueue({ ...options, weights: { [key]: bad as never } })),
            path,
            bad,
          )
          expectOptionError(
            thrownBy(() => createFairQueue({ ...options, weights: new Map([[key, bad as never]]) })),
            path,
            bad,
          )
        },
      ),
      { numRuns: 80 },
    )
  })

  it('throws a TypeError naming options.weights for a Map with a key that is not a string', () => {
    fc.assert(
      fc.property(notString, (key) => {
        expectOptionError(
          thrownBy(() => createFairQueue({ weights: new Map([[key as never, 1]]) })),
          'options.weights',
          key,
        )
      }),
      { numRuns: 60 },
    )
  })

  it('throws a TypeError naming options for options that are not an object', () => {
    fc.assert(
      fc.property(fc.oneof(notObject, anArray), (bad) => {
        expectOptionError(
          thrownBy(() => createFairQueue(bad as never)),
          'options',
          bad,
        )
        expectOptionError(
          thrownBy(() => createPriorityQueue(bad as never)),
          'options',
          bad,
        )
        expectOptionError(
          thrownBy(() => createDeadLetterQueue(bad as never)),
          'options',
          bad,
        )
      }),
      { numRuns: 60 },
    )
  })

  it('accepts any mix of valid options, boundaries included, and the queue works', () => {
    fc.assert(
      fc.property(
        optionsArbitrary(() => ({}), fairSpecs, undefined),
        (options) => {
          const queue = createFairQueue(options)
          queue.push({ id: 1, key: 'a', priority: 0, enqueuedAt: 0, startedAt: -1 } as never)
          expect(queue.size).toBe(1)
          expect(queue.shift()).toMatchObject({ id: 1 })
        },
      ),
      { numRuns: 100 },
    )
    for (const options of [{ maxPerKey: 1 }, { maxPerKey: Infinity }, { defaultWeight: Number.MIN_VALUE }, { weights: new Map([['a', Number.MAX_VALUE]]) }, { weights: {} }]) {
      expect(() => createFairQueue(options)).not.toThrow()
    }
  })
})

describe('createPriorityQueue(options)', () => {
  it('throws a TypeError naming options.compare and the value for each compare that is not a function', () => {
    fc.assert(
      fc.property(notFunction, (bad) =>
        expectOptionError(
          thrownBy(() => createPriorityQueue({ compare: bad as never })),
          'options.compare',
          bad,
        ),
      ),
      { numRuns: 80 },
    )
  })

  it('accepts no options, empty options and a comparator', () => {
    expect(createPriorityQueue().size).toBe(0)
    expect(createPriorityQueue({}).size).toBe(0)
    expect(createPriorityQueue({ compare: (a, b) => a.id - b.id }).size).toBe(0)
    expect(createFifoQueue().size).toBe(0)
  })
})

describe('createDeadLetterQueue(options) and its methods', () => {
  const invalidCapacity = fc.oneof(notNumber, negative, fc.constant(0), fractional, nan, infinities, fc.constant(undefined))

  it('throws a TypeError naming options.capacity and the value for each invalid capacity (it is required)', () => {
    fc.assert(
      fc.property(invalidCapacity, (bad) =>
        expectOptionError(
          thrownBy(() => createDeadLetterQueue({ capacity: bad as never })),
          'options.capacity',
          bad,
        ),
      ),
      { numRuns: 80 },
    )
    expectOptionError(
      thrownBy(() => createDeadLetterQueue(undefined as never)),
      'options',
      undefined,
    )
  })

  it('throws or rejects with a TypeError naming the argument for invalid take(n) and retry(pool, filter)', async () => {
    const queue = createDeadLetterQueue({ capacity: 1 })
    fc.assert(
      fc.property(fc.oneof(notNumber, negative, fractional, nan, fc.constant(-Infinity)), (bad) => {
        expectOptionError(
          thrownBy(() => queue.take(bad as never)),
          'n',
          bad,
        )
      }),
      { numRuns: 60 },
    )
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(notObject, plainObject),
        notFunction.filter((v) => v !== undefined),
        async (pool, filter) => {
          expectOptionError(await queue.retry(pool as never).catch((error: unknown) => error), 'pool', pool)
          const fakePool = { submit: () => 1 }
          expectOptionError(await queue.retry(fakePool as never, filter as never).catch((error: unknown) => error), 'filter', filter)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('accepts any positive integer capacity', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), (capacity) => {
        expect(createDeadLetterQueue({ capacity }).capacity).toBe(capacity)
      }),
    )
    expect(createDeadLetterQueue({ capacity: Number.MAX_SAFE_INTEGER }).capacity).toBe(Number.MAX_SAFE_INTEGER)
  })
})
