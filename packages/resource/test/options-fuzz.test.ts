// Fuzzes the options of createResourcePool, acquire() and createKeyRing: each
// invalid value throws a TypeError or RangeError that names the option and the
// value when the pool is built (or the acquire is called), before any resource is
// created; valid values next to it are accepted.
import { createVirtualClock } from '@poolkit/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createKeyRing, createResourcePool } from '../src/index.js'

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

const durationOrInfinity = fc.oneof(fc.integer({ min: 0, max: 1e7 }), fc.constant(Infinity))
const invalidDuration = fc.oneof(notNumber, negative, nan, fc.constant(-Infinity))
const invalidPositiveInteger = fc.oneof(notNumber, negative, fc.constant(0), fractional, nan, infinities)
const invalidPositiveIntegerOrInfinity = fc.oneof(notNumber, negative, fc.constant(0), fractional, nan, fc.constant(-Infinity))

/** Counts creates: an invalid option must fail before the first one. */
let creates = 0
const base = (): Record<string, unknown> => ({
  create: () => {
    creates++
    return {}
  },
  destroy: () => {},
  clock: createVirtualClock(),
})

const poolSpecs: readonly OptionSpec[] = [
  spec('options.create', notFunction, fc.constant(() => ({}))),
  spec('options.destroy', notFunction, fc.constant(() => {})),
  spec('options.validate', notFunction, fc.constant(() => true)),
  spec('options.validateOnReturn', fc.oneof(fc.double(), fc.string({ maxLength: 5 }), fc.constant(null), symbol, plainObject), fc.constant(false)),
  spec('options.min', fc.oneof(notNumber, negative, fractional, nan, infinities), fc.integer({ min: 0, max: 3 })),
  spec('options.max', invalidPositiveInteger, fc.integer({ min: 3, max: 50 })),
  spec('options.idleTimeoutMs', invalidDuration, durationOrInfinity),
  spec('options.acquireTimeoutMs', invalidDuration, durationOrInfinity),
  spec('options.maxUses', invalidPositiveIntegerOrInfinity, fc.oneof(fc.integer({ min: 1, max: 1e6 }), fc.constant(Infinity))),
  spec('options.maxWaiters', fc.oneof(notNumber, negative, fractional, nan, fc.constant(-Infinity)), fc.oneof(fc.integer({ min: 0, max: 1e6 }), fc.constant(Infinity))),
  spec('options.createBackoff.initialMs', fc.oneof(notNumber, negative, nan, infinities), fc.integer({ min: 0, max: 100 })),
  spec('options.createBackoff.factor', fc.oneof(notNumber, fc.double({ max: 0.999, noNaN: true }), nan, infinities), fc.double({ min: 1, max: 10, noNaN: true })),
  spec('options.createBackoff.maxMs', fc.oneof(notNumber, negative, nan, infinities), fc.integer({ min: 100, max: 60_000 })),
  spec('options.name', fc.oneof(notString, fc.constant('')), fc.string({ minLength: 1, maxLength: 8 })),
  spec('options.clock', fc.oneof(notObject, plainObject, anArray), fc.constant(createVirtualClock())),
]

describe('createResourcePool(options)', () => {
  it.each(poolSpecs.map((s) => [s.path, s] as const))('throws a TypeError or RangeError naming %s and the value for each invalid value, before any create', (_path, s) => {
    fc.assert(
      fc.property(s.invalid, optionsArbitrary(base, poolSpecs, s), (bad, options) => {
        setAt(options, s.at, bad)
        // The spec under test may be create itself; the counter is on the base's create.
        creates = 0
        expectOptionError(thrownBy(() => createResourcePool(options as never)), s.path, bad)
        expect(creates).toBe(0)
      }),
      { numRuns: 60 },
    )
  })

  it('throws a TypeError naming options for options that are not an object', () => {
    fc.assert(
      fc.property(fc.oneof(notObject, anArray), (bad) => expectOptionError(thrownBy(() => createResourcePool(bad as never)), 'options', bad)),
      { numRuns: 60 },
    )
  })

  it('refuses conflicting values with a RangeError naming both options', () => {
    expect(() => createResourcePool({ ...base(), min: 5, max: 2 } as never)).toThrow(new RangeError('options.min (5) must not be greater than options.max (2)'))
    expect(() => createResourcePool({ ...base(), createBackoff: { initialMs: 500, maxMs: 100 } } as never)).toThrow(RangeError)
    expect(() => createResourcePool({ ...base(), validateOnReturn: true } as never)).toThrow(RangeError)
  })

  it('accepts any mix of valid options, and the pool lends a resource', async () => {
    await fc.assert(
      fc.asyncProperty(optionsArbitrary(base, poolSpecs, undefined), async (options) => {
        const pool = createResourcePool(options as never)
        const lease = await pool.acquire()
        expect(lease.resource).toEqual({})
        lease.release()
        await pool.drain()
      }),
      { numRuns: 60 },
    )
  })
})

describe('acquire(options) and use(fn, options)', () => {
  const acquireSpecs: readonly OptionSpec[] = [
    spec('options.signal', fc.oneof(notObject, plainObject, anArray), fc.constant(new AbortController().signal)),
    spec('options.timeoutMs', invalidDuration, durationOrInfinity),
  ]
  it.each(acquireSpecs.map((s) => [s.path, s] as const))('throws a TypeError naming %s and the value, and lends nothing', async (_path, s) => {
    const pool = createResourcePool(base() as never)
    await fc.assert(
      fc.asyncProperty(s.invalid, async (bad) => {
        const options = {}
        setAt(options, s.at, bad)
        // Refused at the call, as a rejection of the returned promise or a throw.
        let error: unknown
        try {
          await pool.acquire(options as never)
        } catch (e) {
          error = e
        }
        expectOptionError(error, s.path, bad)
        expect(pool.stats().borrowed).toBe(0)
      }),
      { numRuns: 60 },
    )
    await pool.drain()
  })
})

describe('createKeyRing(keys, options)', () => {
  const ringSpecs: readonly OptionSpec[] = [
    spec('options.cooldownMs', fc.oneof(notNumber, negative, nan, infinities), fc.integer({ min: 0, max: 1e6 })),
    spec('options.concurrencyPerKey', invalidPositiveIntegerOrInfinity, fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constant(Infinity))),
    spec('options.acquireTimeoutMs', invalidDuration, durationOrInfinity),
    spec('options.cooldownOn', notFunction, fc.constant(() => false)),
    spec('options.label', notFunction, fc.constant((_k: unknown, i: number) => `key-${i}`)),
    spec('options.name', fc.oneof(notString, fc.constant('')), fc.string({ minLength: 1, maxLength: 8 })),
    spec('options.clock', fc.oneof(notObject, plainObject, anArray), fc.constant(createVirtualClock())),
  ]
  const ringBase = (): Record<string, unknown> => ({ clock: createVirtualClock() })

  it.each(ringSpecs.map((s) => [s.path, s] as const))('throws a TypeError or RangeError naming %s and the value for each invalid value', (_path, s) => {
    fc.assert(
      fc.property(s.invalid, optionsArbitrary(ringBase, ringSpecs, s), (bad, options) => {
        setAt(options, s.at, bad)
        expectOptionError(thrownBy(() => createKeyRing(['a', 'b'], options as never)), s.path, bad)
      }),
      { numRuns: 60 },
    )
  })

  it('accepts any mix of valid options and lends the keys in turn', async () => {
    await fc.assert(
      fc.asyncProperty(optionsArbitrary(ringBase, ringSpecs, undefined), async (options) => {
        const ring = createKeyRing(['a', 'b'], options as never)
        const first = await ring.acquire()
        const second = await ring.acquire()
        expect([first.key, second.key]).toEqual(['a', 'b'])
        first.release()
        second.release()
      }),
      { numRuns: 60 },
    )
  })
})
