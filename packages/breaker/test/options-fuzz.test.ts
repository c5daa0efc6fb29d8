// Fuzzes the options of every breaker, bulkhead and rate limiter factory (and
// their setLimit, and combine's policies): each invalid value throws a
// TypeError or RangeError that names the option and the value, when the policy
// is built; valid values next to it are accepted.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createVirtualClock } from '@poolkit/core'
import {
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
  spec,
  thrownBy,
} from '@poolkit/test-utils'
import type { OptionSpec } from '@poolkit/test-utils'
import { combine, createBulkhead, createCircuitBreaker, createRateLimiter } from '../src/index.js'

const invalid = {
  positiveInteger: fc.oneof(notNumber, negative, fc.constant(0), fractional, nan, infinities),
  positiveIntegerOrInfinity: fc.oneof(notNumber, negative, fc.constant(0), fractional, nan, fc.constant(-Infinity)),
  nonNegativeIntegerOrInfinity: fc.oneof(notNumber, negative, fractional, nan, fc.constant(-Infinity)),
  durationOrInfinity: fc.oneof(notNumber, negative, nan, fc.constant(-Infinity)),
}
const durationOrInfinity = fc.oneof(fc.constantFrom(0, Infinity), fc.double({ min: 0, max: 1e9, noNaN: true }))
const clock = createVirtualClock()

// ---------------------------------------------------------------- circuit breaker

const circuitSpecs: readonly OptionSpec[] = [
  spec('options.clock', fc.oneof(notObject, fc.constant({ now: () => 0 })), fc.constant(clock)),
  spec('options.failureThreshold', invalid.positiveIntegerOrInfinity, fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constant(Infinity))),
  spec(
    'options.failureRateThreshold',
    fc.oneof(notNumber, negative, fc.constant(0), fc.double({ min: 1, minExcluded: true, noNaN: true }), nan, infinities),
    fc.double({ min: 0.01, max: 1, noNaN: true }),
  ),
  spec(
    'options.window',
    fc.oneof(notObject, anArray, fc.constant({ type: 'sliding' }), fc.constant({ type: 'count', size: 0 }), fc.constant({ type: 'time', ms: Infinity })),
    fc.oneof(fc.record({ type: fc.constant('count'), size: fc.integer({ min: 10, max: 1000 }) }), fc.record({ type: fc.constant('time'), ms: fc.double({ min: 1, max: 1e6, noNaN: true }) })),
  ),
  // minimumCalls up to 10, window sizes from 10: never in conflict.
  spec('options.minimumCalls', invalid.positiveInteger, fc.integer({ min: 1, max: 10 })),
  spec('options.slowCallMs', invalid.durationOrInfinity, durationOrInfinity),
  // openMs up to 10 s and backoff.maxOpenMs from 10 s: never in conflict.
  spec('options.openMs', invalid.durationOrInfinity, fc.double({ min: 0, max: 10_000, noNaN: true })),
  spec('options.backoff', fc.oneof(notObject, anArray), fc.constant({})),
  spec('options.backoff.factor', fc.oneof(notNumber, fc.double({ max: 1, maxExcluded: true, noNaN: true }), nan, infinities), fc.double({ min: 1, max: 10, noNaN: true })),
  spec('options.backoff.maxOpenMs', invalid.durationOrInfinity, fc.oneof(fc.double({ min: 10_000, max: 1e9, noNaN: true }), fc.constant(Infinity))),
  spec('options.halfOpenMax', invalid.positiveInteger, fc.integer({ min: 1, max: 10 })),
  spec('options.successThreshold', invalid.positiveInteger, fc.integer({ min: 1, max: 10 })),
  spec(
    'options.isFailure',
    notFunction,
    fc.constant(() => true),
  ),
  spec('options.whenOpen', fc.oneof(fc.constantFrom('queue', 'Reject', ''), notString), fc.constantFrom('reject', 'hold')),
  spec('options.keyed', notBoolean, fc.boolean()),
  spec('options.maxKeys', invalid.positiveIntegerOrInfinity, fc.oneof(fc.integer({ min: 1, max: 1e6 }), fc.constant(Infinity))),
  spec('options.keyIdleMs', invalid.durationOrInfinity, durationOrInfinity),
]

fuzzEachOption(
  'createCircuitBreaker(options)',
  () => ({}),
  circuitSpecs,
  (options) => createCircuitBreaker(options),
)

describe('createCircuitBreaker(options): the window fields, conflicts and valid values', () => {
  it('throws a TypeError naming options.window.type, .size or .ms and the value for each invalid one', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom('sliding', 'Count', ''), notString), invalid.positiveInteger, fc.oneof(notNumber, negative, fc.constant(0), nan, infinities), (type, size, ms) => {
        expectOptionError(
          thrownBy(() => createCircuitBreaker({ window: { type: type as never, size: 10 } })),
          'options.window.type',
          type,
        )
        expectOptionError(
          thrownBy(() => createCircuitBreaker({ window: { type: 'count', size: size as never } })),
          'options.window.size',
          size,
        )
        expectOptionError(
          thrownBy(() => createCircuitBreaker({ window: { type: 'time', ms: ms as never } })),
          'options.window.ms',
          ms,
        )
      }),
      { numRuns: 80 },
    )
  })

  it('throws a RangeError naming both options when minimumCalls exceeds the window or maxOpenMs is below openMs', () => {
    expect(() => createCircuitBreaker({ failureRateThreshold: 0.5, minimumCalls: 20, window: { type: 'count', size: 10 } })).toThrowError(
      new RangeError('options.minimumCalls (20) must not exceed options.window.size (10): the failure rate could never trip the circuit'),
    )
    expect(() => createCircuitBreaker({ openMs: 1000, backoff: { maxOpenMs: 10 } })).toThrowError(/options\.backoff\.maxOpenMs \(10\).*options\.openMs \(1000\)/)
  })

  it('throws a TypeError naming options for options that are not an object', () => {
    fc.assert(
      fc.property(fc.oneof(notObject, anArray), (bad) => {
        expectOptionError(
          thrownBy(() => createCircuitBreaker(bad as never)),
          'options',
          bad,
        )
        expectOptionError(
          thrownBy(() => createBulkhead(bad as never)),
          'options',
          bad,
        )
        expectOptionError(
          thrownBy(() => createRateLimiter(bad as never)),
          'options',
          bad,
        )
      }),
      { numRuns: 60 },
    )
  })

  it('accepts any mix of valid options, boundaries included', () => {
    fc.assert(
      fc.property(
        optionsArbitrary(() => ({}), circuitSpecs, undefined),
        (options) => {
          expect(createCircuitBreaker(options).state()).toBe('closed')
        },
      ),
      { numRuns: 150 },
    )
    for (const options of [
      { failureThreshold: Infinity, failureRateThreshold: 1, minimumCalls: 1, window: { type: 'count' as const, size: 1 } },
      { openMs: 0, slowCallMs: 0, keyIdleMs: 0, backoff: { factor: 1, maxOpenMs: 0 } },
      { openMs: Infinity, backoff: { maxOpenMs: Infinity } },
      { window: { type: 'time' as const, ms: Number.MIN_VALUE }, maxKeys: Infinity, keyed: true },
    ]) {
      expect(() => createCircuitBreaker(options)).not.toThrow()
    }
  })
})

// ---------------------------------------------------------------- bulkhead

const bulkheadSpecs: readonly OptionSpec[] = [
  spec('options.limits', fc.oneof(notObject, anArray), fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.integer({ min: 0, max: 100 }), fc.constant(Infinity)), { maxKeys: 3 })),
  spec('options.defaultLimit', invalid.nonNegativeIntegerOrInfinity, fc.oneof(fc.integer({ min: 0, max: 100 }), fc.constant(Infinity))),
  spec('options.queuePerKey', invalid.nonNegativeIntegerOrInfinity, fc.oneof(fc.integer({ min: 0, max: 100 }), fc.constant(Infinity))),
]

fuzzEachOption(
  'createBulkhead(options)',
  () => ({}),
  bulkheadSpecs,
  (options) => createBulkhead(options),
)

describe('createBulkhead(options): limits by key, setLimit and valid values', () => {
  it('throws a TypeError naming the key and the value for each invalid limit, in options.limits and in setLimit()', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 6 }), invalid.nonNegativeIntegerOrInfinity, notString, (key, bad, badKey) => {
        expectOptionError(
          thrownBy(() => createBulkhead({ limits: { [key]: bad as never } })),
          `options.limits[${JSON.stringify(key)}]`,
          bad,
        )
        const bulkhead = createBulkhead()
        expectOptionError(
          thrownBy(() => bulkhead.setLimit(key, bad as never)),
          `setLimit(${JSON.stringify(key)}, limit)`,
          bad,
        )
        expectOptionError(
          thrownBy(() => bulkhead.setLimit(badKey as never, 1)),
          'setLimit(key)',
          badKey,
        )
        expect(bulkhead.limit(key)).toBe(Infinity)
      }),
      { numRuns: 80 },
    )
  })

  it('accepts any mix of valid options', () => {
    fc.assert(
      fc.property(
        optionsArbitrary(() => ({}), bulkheadSpecs, undefined),
        (options) => {
          expect(createBulkhead(options).running()).toBe(0)
        },
      ),
      { numRuns: 100 },
    )
  })
})

// ---------------------------------------------------------------- rate limiter

const rate = fc.record({ perSecond: fc.integer({ min: 1, max: 10_000 }), burst: fc.option(fc.double({ min: 1, max: 1e6, noNaN: true }), { nil: undefined }) }, { requiredKeys: ['perSecond'] })
const invalidPerSecond = fc.oneof(notNumber, negative, fc.constant(0), nan, fc.constant(-Infinity))
const invalidBurst = fc.oneof(notNumber, fc.double({ max: 1, maxExcluded: true, noNaN: true }), nan, infinities)

const limiterSpecs: readonly OptionSpec[] = [
  spec('options.clock', fc.oneof(notObject, fc.constant({ now: 5 })), fc.constant(clock)),
  spec('options.limits', fc.oneof(notObject, anArray), fc.dictionary(fc.string({ maxLength: 5 }), rate, { maxKeys: 3 })),
  spec('options.defaultLimit', fc.oneof(notObject, anArray, fc.constant({})), rate),
  spec('options.defaultLimit.perSecond', invalidPerSecond, fc.integer({ min: 1, max: 10_000 })),
  spec('options.defaultLimit.burst', invalidBurst, fc.double({ min: 1, max: 1e6, noNaN: true })),
  spec('options.algorithm', fc.oneof(fc.constantFrom('leaky-bucket', 'Token-bucket', ''), notString), fc.constantFrom('token-bucket', 'sliding-window')),
  spec(
    'options.retryAfter',
    notFunction,
    fc.constant(() => undefined),
  ),
  spec('options.maxPauseMs', invalid.durationOrInfinity, durationOrInfinity),
  spec('options.maxKeys', invalid.positiveIntegerOrInfinity, fc.oneof(fc.integer({ min: 1, max: 1e6 }), fc.constant(Infinity))),
]

// The defaultLimit's fields need a limit to sit in.
fuzzEachOption(
  'createRateLimiter(options)',
  () => ({ defaultLimit: { perSecond: 10 } }),
  limiterSpecs,
  (options) => createRateLimiter(options),
)

describe('createRateLimiter(options): limits by key, setLimit, sliding windows and valid values', () => {
  it('throws a TypeError naming the key and the field for each invalid perSecond or burst, in options.limits and in setLimit()', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 6 }), invalidPerSecond, invalidBurst, (key, perSecond, burst) => {
        const path = `options.limits[${JSON.stringify(key)}]`
        expectOptionError(
          thrownBy(() => createRateLimiter({ limits: { [key]: { perSecond: perSecond as never } } })),
          `${path}.perSecond`,
          perSecond,
        )
        expectOptionError(
          thrownBy(() => createRateLimiter({ limits: { [key]: { perSecond: 5, burst: burst as never } } })),
          `${path}.burst`,
          burst,
        )
        const limiter = createRateLimiter({ clock })
        expectOptionError(
          thrownBy(() => limiter.setLimit(key, { perSecond: perSecond as never })),
          `setLimit(${JSON.stringify(key)}, limit): limit.perSecond`,
          perSecond,
        )
        expect(limiter.tokens(key)).toBe(Infinity)
      }),
      { numRuns: 80 },
    )
  })

  it("throws a RangeError for a sliding window's perSecond that is fractional or too large to log, when built, not at the first start", () => {
    fc.assert(
      fc.property(fc.oneof(fractional, fc.double({ min: 2 ** 32, max: 1e300, noNaN: true })), (perSecond) => {
        expectOptionError(
          thrownBy(() => createRateLimiter({ algorithm: 'sliding-window', defaultLimit: { perSecond } })),
          'options.defaultLimit.perSecond',
          perSecond,
        )
      }),
      { numRuns: 80 },
    )
    // The largest window it accepts logs its starts at once, without allocating them up front.
    const limiter = createRateLimiter({ clock, algorithm: 'sliding-window', defaultLimit: { perSecond: 2 ** 32 - 1 } })
    expect(limiter.acquire({ id: 1, key: undefined, startedAt: -1 } as never)).toBeUndefined()
  })

  it('accepts any mix of valid options', () => {
    fc.assert(
      fc.property(
        optionsArbitrary(() => ({ defaultLimit: { perSecond: 10 } }), limiterSpecs, undefined),
        (options) => {
          expect(createRateLimiter(options).pausedUntil()).toBe(-1)
        },
      ),
      { numRuns: 100 },
    )
    expect(createRateLimiter({ defaultLimit: { perSecond: Infinity }, maxPauseMs: 0 }).tokens()).toBe(Infinity)
    expect(createRateLimiter({ defaultLimit: { perSecond: Number.MIN_VALUE, burst: 1 } }).tokens()).toBe(1)
  })
})

// ---------------------------------------------------------------- combine

describe('combine(...policies)', () => {
  it('throws a TypeError naming the policy and its missing method for each invalid policy', () => {
    const valid = createBulkhead()
    fc.assert(
      fc.property(fc.oneof(notObject, plainObject, fc.constant({ ...valid, onCancel: 1 })), fc.nat({ max: 2 }), (bad, at) => {
        const policies = [valid, valid, valid]
        policies[at] = bad as never
        expectOptionError(
          thrownBy(() => combine(...policies)),
          `combine() policies[${at}]`,
          bad,
        )
      }),
      { numRuns: 80 },
    )
    expect(() => combine(valid, createRateLimiter(), createCircuitBreaker())).not.toThrow()
  })
})
