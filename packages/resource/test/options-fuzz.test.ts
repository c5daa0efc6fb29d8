// Fuzzes the options of createResourcePool, acquire() and createKeyRing: each
// invalid value throws a TypeError or RangeError that names the option and the
// value when the pool is built (or the acquire is called), before any resource is
// created; valid values next to it are accepted.
import { createVirtualClock } from '@poolkit/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
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
  setAt,
  spec,
  symbol,
  thrownBy,
} from '@poolkit/test-utils'
import type { OptionSpec } from '@poolkit/test-utils'
import { createKeyRing, createResourcePool } from '../src/index.js'

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
  spec(
    'options.create',
    notFunction,
    fc.constant(() => ({})),
  ),
  spec(
    'options.destroy',
    notFunction,
    fc.constant(() => {}),
  ),
  spec(
    'options.validate',
    notFunction,
    fc.constant(() => true),
  ),
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
        expectOptionError(
          thrownBy(() => createResourcePool(options as never)),
          s.path,
          bad,
        )
        expect(creates).toBe(0)
      }),
      { numRuns: 60 },
    )
  })

  it('throws a TypeError naming options for options that are not an object', () => {
    fc.assert(
      fc.property(fc.oneof(notObject, anArray), (bad) =>
        expectOptionError(
          thrownBy(() => createResourcePool(bad as never)),
          'options',
          bad,
        ),
      ),
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
    spec(
      'options.cooldownOn',
      notFunction,
      fc.constant(() => false),
    ),
    spec(
      'options.label',
      notFunction,
      fc.constant((_k: unknown, i: number) => `key-${i}`),
    ),
    spec('options.name', fc.oneof(notString, fc.constant('')), fc.string({ minLength: 1, maxLength: 8 })),
    spec('options.clock', fc.oneof(notObject, plainObject, anArray), fc.constant(createVirtualClock())),
  ]
  const ringBase = (): Record<string, unknown> => ({ clock: createVirtualClock() })

  it.each(ringSpecs.map((s) => [s.path, s] as const))('throws a TypeError or RangeError naming %s and the value for each invalid value', (_path, s) => {
    fc.assert(
      fc.property(s.invalid, optionsArbitrary(ringBase, ringSpecs, s), (bad, options) => {
        setAt(options, s.at, bad)
        expectOptionError(
          thrownBy(() => createKeyRing(['a', 'b'], options as never)),
          s.path,
          bad,
        )
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
