// Fuzzes the options of every scaling policy and of simulate(): each invalid
// value throws (simulate: rejects with) a TypeError or RangeError that names
// the option and the value, at once; valid values next to it are accepted.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { adaptiveLimit, idleScaler, littleScaler, simulate, thresholdScaler } from '../src/index.js'

// ---------------------------------------------------------------- arbitraries

const symbol = fc.string({ maxLength: 5 }).map((s) => Symbol(s))
const plainObject = fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxKeys: 3 })
const anArray = fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxLength: 3 })
const aFunction = fc.constant(() => 1)
/** Anything but a number. */
const notNumber = fc.oneof(fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), fc.bigInt(), symbol, plainObject, anArray, aFunction)
/** Anything but a string (and not undefined, which means "not given"). */
const notString = fc.oneof(fc.double(), fc.boolean(), fc.constant(null), fc.bigInt(), symbol, plainObject, anArray, aFunction)
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

/** Hang guard for async calls: a real timeout that only fails the test, never something waited on to see a behaviour. */
const HANG_GUARD_MS = 2000
function settlesSoon<T>(promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${HANG_GUARD_MS} ms`)), HANG_GUARD_MS)
  })
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer))
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await settlesSoon(promise)
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection, it resolved')
}

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
  spec('options.targetUtilisation', invalid.shareAbove0, fc.double({ min: 0.01, max: 1, noNaN: true })),
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
  fuzzEachOption(label, () => ({}), specs, (options) => factory(options))

  describe(`${label}: the options object and valid values`, () => {
    it('throws a TypeError naming options for options that are not an object', () => {
      fc.assert(
        fc.property(fc.oneof(notObject, anArray), (bad) => expectOptionError(thrownBy(() => factory(bad as never)), 'options', bad)),
        { numRuns: 40 },
      )
    })

    it('accepts any mix of valid options: a scaler the pool can use', () => {
      fc.assert(
        fc.property(optionsArbitrary(() => ({}), specs, undefined), (options) => {
          const scaler = factory(options)
          expect(typeof scaler.desired).toBe('function')
          if (scaler.max !== undefined) expect(scaler.min ?? 0).toBeLessThanOrEqual(scaler.max)
        }),
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
      [{ kind: 'steps', steps: [{ atMs: 0, perSecond: 1 }, { atMs: 0, perSecond: 2 }] }, 'options.arrivals.steps[1].atMs'],
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
