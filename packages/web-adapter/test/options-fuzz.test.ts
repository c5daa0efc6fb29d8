// Fuzzes webWorkers()'s options in Node (where its checks run the same as in
// a browser): each invalid value throws a TypeError or RangeError that names
// the option and the value, before any Web Worker could be made; valid values
// next to it are accepted.
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { anArray, expectOptionError, fractional, infinities, nan, negative, notNumber, notObject, notString, optionsArbitrary, plainObject, setAt, spec, symbol, thrownBy } from '@poolkit/test-utils'
import type { OptionSpec } from '@poolkit/test-utils'
import { webWorkers } from '../src/index.js'

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
  spec(
    'options.fallback',
    fc.oneof(fc.double(), fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), fc.bigInt(), symbol, anArray, fc.constant({}), fc.constant({ echo: 1 })),
    fc.constantFrom((x: unknown) => x, { echo: (x: unknown) => x }),
  ),
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
      fc.property(
        s.invalid,
        optionsArbitrary(() => ({}), webSpecs, s),
        (bad, options) => {
          setAt(options, s.at, bad)
          expectOptionError(
            thrownBy(() => webWorkers(url, options)),
            s.path,
            bad,
          )
        },
      ),
      { numRuns: 80 },
    )
    expect(made).toBe(0)
  })

  it('throws a TypeError naming worker or options for a worker that is not a URL, a non-empty string or a function, or options that are not an object', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          notString.filter((v) => !(v instanceof URL) && typeof v !== 'function'),
          fc.constant(''),
        ),
        fc.oneof(fc.double(), fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), fc.bigInt(), symbol),
        (badUrl, badOptions) => {
          expectOptionError(
            thrownBy(() => webWorkers(badUrl as never)),
            'worker',
            badUrl,
          )
          expectOptionError(
            thrownBy(() => webWorkers(url, badOptions as never)),
            'options',
            badOptions,
          )
        },
      ),
      { numRuns: 80 },
    )
    expect(made).toBe(0)
  })

  it('accepts a worker factory with any mix of valid options but type and name, and calls it only when a pool starts a worker', () => {
    const factory = vi.fn(() => new CountingWorker() as never)
    const factorySpecs = webSpecs.filter((s) => s.path !== 'options.type' && s.path !== 'options.name')
    fc.assert(
      fc.property(
        optionsArbitrary(() => ({}), factorySpecs, undefined),
        (options) => {
          expect(webWorkers(factory, options).kind).toBe('web-workers')
        },
      ),
      { numRuns: 100 },
    )
    expect(factory).not.toHaveBeenCalled()
    expect(made).toBe(0)
  })

  it('refuses type and name next to a worker factory with a RangeError naming the option and the value', () => {
    fc.assert(
      fc.property(fc.constantFrom('type', 'name'), fc.constantFrom('module', 'classic', 'hash'), (key, value) => {
        expectOptionError(
          thrownBy(() => webWorkers(() => new CountingWorker() as never, { [key]: value })),
          `options.${key}`,
          value,
        )
      }),
      { numRuns: 20 },
    )
    expect(made).toBe(0)
  })

  it('accepts any mix of valid options and makes no worker until a pool starts one', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constant(url), fc.constant(new URL(url)), fc.string({ minLength: 1, maxLength: 10 })),
        optionsArbitrary(() => ({}), webSpecs, undefined),
        (target, options) => {
          expect(webWorkers(target, options).kind).toBe('web-workers')
        },
      ),
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
        expectOptionError(
          thrownBy(() => webWorkers(url, options)),
          s.path,
          bad,
        )
      }),
      { numRuns: 100 },
    )
    expect(() => webWorkers(url)).toThrowError(expect.objectContaining({ code: 'ERR_WEB_WORKERS_UNSUPPORTED' }))
  })
})
