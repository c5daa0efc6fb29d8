// Fuzzes webWorkers()'s options in Node (where its checks run the same as in
// a browser): each invalid value throws a TypeError or RangeError that names
// the option and the value, before any Web Worker could be made; valid values
// next to it are accepted.
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { webWorkers } from '../src/index.js'

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


const invalid = {
  positiveIntegerOrInfinity: fc.oneof(notNumber, negative, fc.constant(0), fractional, nan, fc.constant(-Infinity)),
  nonNegativeInteger: fc.oneof(notNumber, negative, fractional, nan, infinities),
  duration: fc.oneof(notNumber, negative, nan, fc.constant(-Infinity)),
}
const duration = fc.oneof(fc.constantFrom(0, Infinity), fc.double({ min: 0, max: 1e9, noNaN: true }))
const url = 'https://example.test/worker.js'

const webSpecs: readonly OptionSpec[] = [
  spec('options.type', fc.oneof(fc.constantFrom('shared', 'Module', 'service', ''), notString), fc.constantFrom('module', 'classic')),
  spec('options.name', notString, fc.string({ maxLength: 10 })),
  spec('options.concurrentTasksPerWorker', fc.oneof(invalid.positiveIntegerOrInfinity, fc.constant(Infinity)), fc.integer({ min: 1, max: 64 })),
  spec('options.prefetch', invalid.nonNegativeInteger, fc.integer({ min: 0, max: 1024 })),
  spec('options.prefetchMs', fc.oneof(notNumber, negative, fc.constant(0), nan, fc.constant(-Infinity)), fc.oneof(fc.double({ min: 0.001, max: 1e6, noNaN: true }), fc.constant(Infinity))),
  spec('options.maxTasksPerWorker', invalid.positiveIntegerOrInfinity, fc.oneof(fc.integer({ min: 1, max: 1e6 }), fc.constant(Infinity))),
  spec('options.unresponsiveTimeout', invalid.duration, duration),
  spec('options.abortTimeout', invalid.duration, duration),
  spec('options.closeTimeout', invalid.duration, duration),
  spec('options.errorClasses', fc.oneof(notObject, plainObject, fc.constant([RangeError, 'QuotaError'])), fc.constantFrom([], [RangeError], new Map([['QuotaError', Error]]))),
  spec('options.fallback', fc.oneof(fc.double(), fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), fc.bigInt(), symbol, anArray, fc.constant({}), fc.constant({ echo: 1 })), fc.constantFrom((x: unknown) => x, { echo: (x: unknown) => x })),
]

/** Counts the Web Workers made: none may be, for invalid options or valid ones (workers start with a pool). */
let made = 0
class CountingWorker {
  constructor() {
    made++
  }
  postMessage(): void {}
  terminate(): void {}
}

describe('webWorkers(url, options) with Worker available', () => {
  beforeEach(() => {
    made = 0
    vi.stubGlobal('Worker', CountingWorker)
  })
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it.each(webSpecs.map((s) => [s.path, s] as const))('throws a TypeError or RangeError naming %s and the value for each invalid value, and makes no worker', (_path, s) => {
    fc.assert(
      fc.property(s.invalid, optionsArbitrary(() => ({}), webSpecs, s), (bad, options) => {
        setAt(options, s.at, bad)
        expectOptionError(thrownBy(() => webWorkers(url, options)), s.path, bad)
      }),
      { numRuns: 80 },
    )
    expect(made).toBe(0)
  })

  it('throws a TypeError naming url or options for a url that is not a URL or a non-empty string, or options that are not an object', () => {
    fc.assert(
      fc.property(fc.oneof(notString.filter((v) => !(v instanceof URL)), fc.constant('')), fc.oneof(fc.double(), fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), fc.bigInt(), symbol), (badUrl, badOptions) => {
        expectOptionError(thrownBy(() => webWorkers(badUrl as never)), 'url', badUrl)
        expectOptionError(thrownBy(() => webWorkers(url, badOptions as never)), 'options', badOptions)
      }),
      { numRuns: 80 },
    )
    expect(made).toBe(0)
  })

  it('accepts any mix of valid options and makes no worker until a pool starts one', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constant(url), fc.constant(new URL(url)), fc.string({ minLength: 1, maxLength: 10 })), optionsArbitrary(() => ({}), webSpecs, undefined), (target, options) => {
        expect(webWorkers(target, options).kind).toBe('web-workers')
      }),
      { numRuns: 100 },
    )
    expect(made).toBe(0)
  })
})

describe('webWorkers(url, options) without Worker', () => {
  it('checks the options before it reports that Web Workers are unsupported', () => {
    fc.assert(
      fc.property(fc.constantFrom(...webSpecs.filter((s) => s.path !== 'options.fallback')), fc.gen(), (s, gen) => {
        const bad = gen(() => s.invalid)
        const options: Record<string, unknown> = {}
        setAt(options, s.at, bad)
        expectOptionError(thrownBy(() => webWorkers(url, options)), s.path, bad)
      }),
      { numRuns: 100 },
    )
    expect(() => webWorkers(url)).toThrowError(expect.objectContaining({ code: 'ERR_WEB_WORKERS_UNSUPPORTED' }))
  })
})
