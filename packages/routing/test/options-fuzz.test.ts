// Fuzzes the options of affinity() and predictive() and the weights of weightedRoundRobin(): each
// invalid value throws a TypeError that names the option and the value, at once;
// valid values next to it are accepted.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
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
  optionsArbitrary,
  plainObject,
  spec,
  thrownBy,
} from '@poolkit/test-utils'
import type { OptionSpec } from '@poolkit/test-utils'
import { affinity, leastBusy, predictive, weightedRoundRobin } from '../src/index.js'

const affinitySpecs: readonly OptionSpec[] = [
  spec(
    'options.key',
    notFunction,
    fc.constant((task: { key: string | undefined }) => task.key),
  ),
  spec('options.fallback', fc.oneof(notObject, plainObject, fc.constant({ select: 1 })), fc.constant(leastBusy())),
  spec('options.maxImbalance', fc.oneof(notNumber, negative, fractional, nan, fc.constant(-Infinity)), fc.oneof(fc.nat({ max: 100 }), fc.constant(Infinity))),
  spec('options.maxKeys', fc.oneof(notNumber, negative, fc.constant(0), fractional, nan, infinities), fc.integer({ min: 1, max: 1e6 })),
]

fuzzEachOption(
  'affinity(options)',
  () => ({}),
  affinitySpecs,
  (options) => affinity(options),
)

describe('affinity(options): the options object and valid values', () => {
  it('throws a TypeError naming options for options that are not an object', () => {
    fc.assert(
      fc.property(fc.oneof(notObject, anArray), (bad) =>
        expectOptionError(
          thrownBy(() => affinity(bad as never)),
          'options',
          bad,
        ),
      ),
      { numRuns: 40 },
    )
  })

  it('accepts any mix of valid options', () => {
    fc.assert(
      fc.property(
        optionsArbitrary(() => ({}), affinitySpecs, undefined),
        (options) => {
          expect(typeof affinity(options).select).toBe('function')
        },
      ),
      { numRuns: 100 },
    )
  })
})

describe('weightedRoundRobin(weights)', () => {
  it('throws a TypeError naming weights[id] and the value for each weight that is not a positive finite number', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.oneof(notNumber, negative, fc.constant(0), nan, infinities), (id, bad) =>
        expectOptionError(
          thrownBy(() => weightedRoundRobin({ [id]: bad as number })),
          `weights[${id}]`,
          bad,
        ),
      ),
      { numRuns: 100 },
    )
  })

  it('accepts positive finite weights by worker id', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.integer({ min: 1, max: 1000 }).map(String), fc.double({ min: 1e-6, max: 1e6, noNaN: true })), (weights) => {
        expect(typeof weightedRoundRobin(weights as Record<number, number>).select).toBe('function')
      }),
      { numRuns: 100 },
    )
  })
})

const predictiveSpecs: readonly OptionSpec[] = [
  spec(
    'options.alpha',
    fc.oneof(notNumber, negative, fc.constant(0), nan, infinities, fc.double({ min: 1, minExcluded: true, noNaN: true })),
    fc.double({ min: Number.MIN_VALUE, max: 1, noNaN: true }),
  ),
  spec('options.explore', fc.oneof(notNumber, negative, fc.constant(0), fractional, nan, fc.constant(-Infinity)), fc.oneof(fc.integer({ min: 1, max: 1e6 }), fc.constant(Infinity))),
  spec('options.maxNames', fc.oneof(notNumber, negative, fc.constant(0), fractional, nan, infinities), fc.integer({ min: 1, max: 1e6 })),
]

fuzzEachOption(
  'predictive(options)',
  () => ({}),
  predictiveSpecs,
  (options) => predictive(options),
)

describe('predictive(options): the options object and valid values', () => {
  it('throws a TypeError naming options for options that are not an object', () => {
    fc.assert(
      fc.property(fc.oneof(notObject, anArray), (bad) =>
        expectOptionError(
          thrownBy(() => predictive(bad as never)),
          'options',
          bad,
        ),
      ),
      { numRuns: 40 },
    )
  })

  it('accepts any mix of valid options', () => {
    fc.assert(
      fc.property(
        optionsArbitrary(() => ({}), predictiveSpecs, undefined),
        (options) => {
          expect(typeof predictive(options).select).toBe('function')
        },
      ),
      { numRuns: 100 },
    )
  })
})
