// Fuzzes the options of every scaling policy and of simulate(): each invalid
// value throws (simulate: rejects with) a TypeError or RangeError that names
// the option and the value, at once; valid values next to it are accepted.
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
import { adaptiveLimit, idleScaler, littleScaler, simulate, thresholdScaler } from '../src/index.js'

const invalid = {
  positiveInteger: fc.oneof(notNumber, negative, fc.constant(0), fractional, nan, infinities),
  nonNegativeInteger: fc.oneof(notNumber, negative, fractional, nan, infinities),
  finiteDuration: fc.oneof(notNumber, negative, nan, infinities),
  positiveDuration: fc.oneof(notNumber, negative, fc.constant(0), nan, infinities),
  durationOrInfinity: fc.oneof(notNumber, negative, nan, fc.constant(-Infinity)),
  /** Outside (0, 1]. */
  shareAbove0: fc.oneof(notNumber, negative, fc.constant(0), fc.double({ min: 1, minExcluded: true, noNaN: true }), nan, infinities),
}
const positiveDuration = fc.double({ min: 0.001, max: 1e6, noNaN: true })
const bounds = [spec('options.min', invalid.nonNegativeInteger, fc.integer({ min: 0, max: 2 })), spec('options.max', invalid.positiveInteger, fc.integer({ min: 2, max: 64 }))]

const thresholdSpecs: readonly OptionSpec[] = [
  ...bounds,
  // scaleUpAt from 0.5 and scaleDownAt below it: never in conflict.
  spec('options.scaleUpAt', invalid.shareAbove0, fc.double({ min: 0.5, max: 1, noNaN: true })),
  spec('options.scaleDownAt', fc.oneof(notNumber, negative, fc.double({ min: 1, noNaN: true }), nan, infinities), fc.double({ min: 0, max: 0.49, noNaN: true })),
  spec('options.upFactor', fc.oneof(notNumber, fc.double({ max: 1, noNaN: true }), nan, infinities), fc.double({ min: 1, minExcluded: true, max: 16, noNaN: true })),
  spec('options.downStep', invalid.positiveInteger, fc.integer({ min: 1, max: 16 })),
  spec('options.cooldownMs', invalid.finiteDuration, fc.double({ min: 0, max: 1e6, noNaN: true })),
  spec('options.maxWaitMs', invalid.durationOrInfinity, fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.constant(Infinity))),
  spec('options.intervalMs', invalid.positiveDuration, positiveDuration),
]

const littleSpecs: readonly OptionSpec[] = [
  ...bounds,
  spec('options.targetUtilization', invalid.shareAbove0, fc.double({ min: 0.01, max: 1, noNaN: true })),
  spec('options.smoothing', invalid.shareAbove0, fc.double({ min: 0.01, max: 1, noNaN: true })),
  spec('options.intervalMs', invalid.positiveDuration, positiveDuration),
]

const adaptiveSpecs: readonly OptionSpec[] = [
  // min at most 2, initial from 2 to 10, max from 10: never in conflict.
  spec('options.min', invalid.positiveInteger, fc.integer({ min: 1, max: 2 })),
  spec('options.max', invalid.positiveInteger, fc.integer({ min: 10, max: 1000 })),
  spec('options.initial', invalid.positiveInteger, fc.integer({ min: 2, max: 10 })),
  spec('options.algorithm', fc.oneof(fc.constantFrom('reno', 'Vegas', ''), notString), fc.constantFrom('vegas', 'gradient', 'aimd')),
  spec('options.tolerance', fc.oneof(notNumber, fc.double({ max: 1, maxExcluded: true, noNaN: true }), nan, infinities), fc.double({ min: 1, max: 10, noNaN: true })),
  spec('options.backoff', fc.oneof(notNumber, negative, fc.constantFrom(0, 1), fc.double({ min: 1, noNaN: true }), nan, infinities), fc.double({ min: 0.01, max: 0.99, noNaN: true })),
  spec('options.smoothing', invalid.shareAbove0, fc.double({ min: 0.01, max: 1, noNaN: true })),
  spec('options.intervalMs', invalid.positiveDuration, positiveDuration),
]

const idleSpecs: readonly OptionSpec[] = [...bounds, spec('options.idleTimeout', invalid.durationOrInfinity, fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.constant(Infinity)))]

const policies = [
  ['thresholdScaler(options)', thresholdScaler, thresholdSpecs],
  ['littleScaler(options)', littleScaler, littleSpecs],
  ['adaptiveLimit(options)', adaptiveLimit, adaptiveSpecs],
  ['idleScaler(options)', idleScaler, idleSpecs],
] as const

for (const [label, factory, specs] of policies) {
  fuzzEachOption(
    label,
    () => ({}),
    specs,
    (options) => factory(options),
  )

  describe(`${label}: the options object and valid values`, () => {
    it('throws a TypeError naming options for options that are not an object', () => {
      fc.assert(
        fc.property(fc.oneof(notObject, anArray), (bad) =>
          expectOptionError(
            thrownBy(() => factory(bad as never)),
            'options',
            bad,
          ),
        ),
        { numRuns: 40 },
      )
    })

    it('accepts any mix of valid options: a scaler the pool can use', () => {
      fc.assert(
        fc.property(
          optionsArbitrary(() => ({}), specs, undefined),
          (options) => {
            const scaler = factory(options)
            expect(typeof scaler.desired).toBe('function')
            if (scaler.max !== undefined) expect(scaler.min ?? 0).toBeLessThanOrEqual(scaler.max)
          },
        ),
        { numRuns: 100 },
      )
    })
  })
}

describe('conflicting policy options', () => {
  it('throw a RangeError naming both options', () => {
    expect(() => thresholdScaler({ min: 5, max: 2 })).toThrowError(new RangeError('options.min (5) must not exceed options.max (2)'))
    expect(() => thresholdScaler({ scaleUpAt: 0.5, scaleDownAt: 0.5 })).toThrowError(/options\.scaleDownAt \(0\.5\).*options\.scaleUpAt \(0\.5\)/)
    expect(() => adaptiveLimit({ min: 2, max: 10, initial: 11 })).toThrowError(/options\.initial \(11\).*options\.min \(2\).*options\.max \(10\)/)
  })
})

// ---------------------------------------------------------------- simulate

const fixed = { desired: () => 1, min: 1, max: 2 }
const nonNegativeFinite = fc.oneof(notNumber, negative, nan, infinities)

const simulateSpecs: readonly OptionSpec[] = [
  spec('options.scaler', fc.oneof(notObject, plainObject, fc.constant({ desired: 1 })), fc.constant(fixed)),
  spec('options.durationMs', fc.oneof(notNumber, negative, fc.constant(0), nan, infinities), fc.integer({ min: 10, max: 100 })),
  spec('options.seed', invalid.nonNegativeInteger, fc.nat()),
  spec('options.maxConcurrency', invalid.positiveInteger, fc.integer({ min: 2, max: 8 })),
  spec('options.sampleMs', fc.oneof(notNumber, negative, fc.constant(0), nan, infinities), fc.integer({ min: 10, max: 100 })),
  spec('options.arrivals', fc.oneof(notObject, anArray, fc.constant({ kind: 'uniform', perSecond: 1 })), fc.constant({ kind: 'poisson', perSecond: 100 })),
  spec('options.arrivals.perSecond', nonNegativeFinite, fc.integer({ min: 0, max: 200 })),
  spec('options.service', notObject, fc.constant({ baseMs: 5 })),
  spec('options.service.baseMs', nonNegativeFinite, fc.integer({ min: 0, max: 20 })),
  spec('options.service.knee', fc.oneof(notNumber, negative, fc.constant(0), nan, infinities), fc.integer({ min: 1, max: 10 })),
  spec('options.service.slope', nonNegativeFinite, fc.double({ min: 0, max: 5, noNaN: true })),
  spec('options.service.jitter', fc.oneof(notNumber, negative, fc.double({ min: 1, noNaN: true }), nan, infinities), fc.double({ min: 0, max: 0.99, noNaN: true })),
  spec('options.service.errorRate', fc.oneof(notNumber, negative, fc.double({ min: 1, minExcluded: true, noNaN: true }), nan, infinities), fc.double({ min: 0, max: 1, noNaN: true })),
]
const simulateBase = (): Record<string, unknown> => ({ scaler: fixed, arrivals: { kind: 'poisson', perSecond: 100 }, service: { baseMs: 5 }, durationMs: 100 })

describe('simulate(options)', () => {
  it.each(simulateSpecs.map((s) => [s.path, s] as const))('rejects at once with a TypeError or RangeError naming %s and the value for each invalid value', async (_path, s) => {
    await fc.assert(
      fc.asyncProperty(s.invalid, optionsArbitrary(simulateBase, simulateSpecs, s), async (bad, options) => {
        setAt(options, s.at, bad)
        expectOptionError(await rejectionOf(simulate(options as never)), s.path, bad)
      }),
      { numRuns: 40 },
    )
  })

  it('rejects a sampleMs too short for durationMs with a RangeError naming both, rather than run for ever', async () => {
    await fc.assert(
      fc.asyncProperty(fc.double({ min: Number.MIN_VALUE, max: 1e-4, noNaN: true }), fc.integer({ min: 100, max: 1e6 }), async (sampleMs, durationMs) => {
        const error = await rejectionOf(simulate({ ...simulateBase(), durationMs, sampleMs } as never))
        expect(error).toBeInstanceOf(RangeError)
        expect((error as Error).message).toMatch(/options\.sampleMs .*options\.durationMs/)
      }),
      { numRuns: 30 },
    )
  })

  it('rejects invalid arrival steps, bursts and kinds, naming the field', async () => {
    const base = simulateBase()
    const cases: [unknown, string][] = [
      [{ kind: 'steps', steps: [] }, 'options.arrivals.steps'],
      [{ kind: 'steps', steps: [null] }, 'options.arrivals.steps[0]'],
      [{ kind: 'steps', steps: [{ atMs: -1, perSecond: 1 }] }, 'options.arrivals.steps[0].atMs'],
      [
        {
          kind: 'steps',
          steps: [
            { atMs: 0, perSecond: 1 },
            { atMs: 0, perSecond: 2 },
          ],
        },
        'options.arrivals.steps[1].atMs',
      ],
      [{ kind: 'burst', perSecond: 1, burst: 'now' }, 'options.arrivals.burst'],
      [{ kind: 'burst', perSecond: 1, burst: { atMs: 0, count: 1.5 } }, 'options.arrivals.burst.count'],
      [{ kind: 7 }, 'options.arrivals.kind'],
    ]
    for (const [arrivals, path] of cases) {
      const error = await rejectionOf(simulate({ ...base, arrivals } as never))
      expect(error instanceof TypeError || error instanceof RangeError).toBe(true)
      expect((error as Error).message).toContain(path)
    }
  })

  it('runs any mix of valid options to a report with one sample per sampleMs', async () => {
    await fc.assert(
      fc.asyncProperty(optionsArbitrary(simulateBase, simulateSpecs, undefined), async (options) => {
        const report = await settlesSoon(simulate(options as never))
        const sampleMs = (options.sampleMs as number | undefined) ?? 1000
        expect(report.samples).toHaveLength(Math.ceil((options.durationMs as number) / sampleMs))
      }),
      { numRuns: 15 },
    )
  })
})
