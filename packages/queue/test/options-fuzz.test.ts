// Fuzzes the options of every queue factory: each invalid value throws a
// TypeError or RangeError that names the option and the value, when the queue
// is built; valid values next to it are accepted.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createDeadLetterQueue, createFairQueue, createFifoQueue, createPriorityQueue } from '../src/index.js'

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

/**
 * One test per option: `build(options)` throws synchronously for each invalid
 * value of it, whatever valid values the other options have.
 */
function fuzzEachOption(label: string, base: () => Record<string, unknown>, specs: readonly OptionSpec[], build: (options: Record<string, unknown>) => unknown, numRuns = 80): void {
  describe(label, () => {
    it.each(specs.map((s) => [s.path, s] as const))('throws a TypeError or RangeError naming %s and the value for each invalid value', (_path, s) => {
      fc.assert(
        fc.property(s.invalid, optionsArbitrary(base, specs, s), (bad, options) => {
          setAt(options, s.at, bad)
          expectOptionError(thrownBy(() => build(options)), s.path, bad)
        }),
        { numRuns },
      )
    })
  })
}

const positiveWeight = fc.double({ min: 1e-6, max: 1e6, noNaN: true })
const invalidWeight = fc.oneof(notNumber, negative, fc.constant(0), nan, infinities)
const invalidPositiveIntegerOrInfinity = fc.oneof(notNumber, negative, fc.constant(0), fractional, nan, fc.constant(-Infinity))

const fairSpecs: readonly OptionSpec[] = [
  spec('options.defaultWeight', invalidWeight, positiveWeight),
  spec('options.maxPerKey', invalidPositiveIntegerOrInfinity, fc.oneof(fc.integer({ min: 1, max: 1e6 }), fc.constant(Infinity))),
  spec('options.weights', fc.oneof(notObject, anArray, aFunction), fc.dictionary(fc.string({ maxLength: 6 }), positiveWeight, { maxKeys: 4 })),
]

fuzzEachOption('createFairQueue(options)', () => ({}), fairSpecs, (options) => createFairQueue(options))

describe('createFairQueue(options): weights, the options object, valid values', () => {
  it('throws a TypeError naming the weight of the key, and the value, for each invalid weight in an object or a Map', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 6 }), invalidWeight, optionsArbitrary(() => ({}), fairSpecs.slice(0, 2), undefined), (key, bad, options) => {
        const path = `options.weights[${JSON.stringify(key)}]`
        expectOptionError(thrownBy(() => createFairQueue({ ...options, weights: { [key]: bad as never } })), path, bad)
        expectOptionError(thrownBy(() => createFairQueue({ ...options, weights: new Map([[key, bad as never]]) })), path, bad)
      }),
      { numRuns: 80 },
    )
  })

  it('throws a TypeError naming options.weights for a Map with a key that is not a string', () => {
    fc.assert(
      fc.property(notString, (key) => {
        expectOptionError(thrownBy(() => createFairQueue({ weights: new Map([[key as never, 1]]) })), 'options.weights', key)
      }),
      { numRuns: 60 },
    )
  })

  it('throws a TypeError naming options for options that are not an object', () => {
    fc.assert(
      fc.property(fc.oneof(notObject, anArray), (bad) => {
        expectOptionError(thrownBy(() => createFairQueue(bad as never)), 'options', bad)
        expectOptionError(thrownBy(() => createPriorityQueue(bad as never)), 'options', bad)
        expectOptionError(thrownBy(() => createDeadLetterQueue(bad as never)), 'options', bad)
      }),
      { numRuns: 60 },
    )
  })

  it('accepts any mix of valid options, boundaries included, and the queue works', () => {
    fc.assert(
      fc.property(optionsArbitrary(() => ({}), fairSpecs, undefined), (options) => {
        const queue = createFairQueue(options)
        queue.push({ id: 1, key: 'a', priority: 0, enqueuedAt: 0, startedAt: -1 } as never)
        expect(queue.size).toBe(1)
        expect(queue.shift()).toMatchObject({ id: 1 })
      }),
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
      fc.property(notFunction, (bad) => expectOptionError(thrownBy(() => createPriorityQueue({ compare: bad as never })), 'options.compare', bad)),
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
      fc.property(invalidCapacity, (bad) => expectOptionError(thrownBy(() => createDeadLetterQueue({ capacity: bad as never })), 'options.capacity', bad)),
      { numRuns: 80 },
    )
    expectOptionError(thrownBy(() => createDeadLetterQueue(undefined as never)), 'options', undefined)
  })

  it('throws or rejects with a TypeError naming the argument for invalid take(n) and retry(pool, filter)', async () => {
    const queue = createDeadLetterQueue({ capacity: 1 })
    fc.assert(
      fc.property(fc.oneof(notNumber, negative, fractional, nan, fc.constant(-Infinity)), (bad) => {
        expectOptionError(thrownBy(() => queue.take(bad as never)), 'n', bad)
      }),
      { numRuns: 60 },
    )
    await fc.assert(
      fc.asyncProperty(fc.oneof(notObject, plainObject), notFunction.filter((v) => v !== undefined), async (pool, filter) => {
        expectOptionError(await queue.retry(pool as never).catch((error: unknown) => error), 'pool', pool)
        const fakePool = { submit: () => 1 }
        expectOptionError(await queue.retry(fakePool as never, filter as never).catch((error: unknown) => error), 'filter', filter)
      }),
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
