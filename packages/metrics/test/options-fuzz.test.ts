// Fuzzes the options of createMetrics, createHistogram, serveMetrics and the
// exporters' prefix: each invalid value throws (serveMetrics: rejects with) a
// TypeError or RangeError that names the option and the value, at once, and
// nothing is registered or listened on; valid values next to it are accepted.
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
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
import type { TaskInfo } from '@poolkit/core'
import { bridgeOpenTelemetry, createHistogram, createMetrics, formatPrometheus, registerPromClient } from '../src/index.js'
import { serveMetrics } from '../src/http.js'

// createMetrics reads `null` as "not given" for most options and describes a
// symbol as "an object" (see the known-issue tests at the end): those two are
// left out of its fuzzing and pinned there instead.
const noSymbol = (value: unknown): boolean => typeof value !== 'symbol'
const notNull = (value: unknown): boolean => value !== null
const positiveFiniteInvalid = fc.oneof(notNumber, negative, fc.constant(0), nan, infinities).filter(noSymbol)

const metricsSpecs: readonly OptionSpec[] = [
  spec('options.windowMs', positiveFiniteInvalid, fc.double({ min: 0.001, max: 1e9, noNaN: true })),
  spec('options.keyIdleMs', positiveFiniteInvalid, fc.double({ min: 0.001, max: 1e9, noNaN: true })),
  spec('options.maxKeys', fc.oneof(notNumber, negative, fractional, nan, infinities).filter(noSymbol).filter(notNull), fc.integer({ min: 0, max: 10_000 })),
  spec(
    'options.buckets',
    fc.oneof(
      notObject.filter(noSymbol).filter(notNull),
      plainObject,
      fc.constant([2, 1]),
      fc.constant([1, 1]),
      fc.tuple(fc.oneof(fc.constant(0), negative, nan, infinities, notNumber.filter(noSymbol))).map(([b]) => [1, b]),
    ),
    fc.uniqueArray(fc.double({ min: 0.001, max: 1e6, noNaN: true }), { maxLength: 20 }).map((b) => b.sort((x, y) => x - y)),
  ),
  spec('options.clock', fc.oneof(notObject.filter(noSymbol).filter(notNull), plainObject, fc.constant({ now: 0 })), fc.constant({ now: () => 0 })),
  spec(
    'options.key',
    notFunction,
    fc.constant((task: TaskInfo) => task.labels?.provider),
  ),
  spec('options.closedPoolRetentionMs', fc.oneof(notNumber, negative, nan).filter(noSymbol).filter(notNull), fc.oneof(fc.double({ min: 0, max: 1e9, noNaN: true }), fc.constant(Infinity))),
  spec(
    'options.maxClosedPools',
    fc.oneof(notNumber, negative, fractional, nan, fc.constant(-Infinity)).filter(noSymbol).filter(notNull),
    fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.constant(Infinity)),
  ),
]

fuzzEachOption(
  'createMetrics(options)',
  () => ({}),
  metricsSpecs,
  (options) => createMetrics(options),
)

const histogramSpecs: readonly OptionSpec[] = [
  // lowest up to 1 and highest from 10: never in conflict, and few enough slots.
  spec('options.lowest', fc.oneof(notNumber, negative, fc.constant(0), nan, infinities), fc.double({ min: 0.001, max: 1, noNaN: true })),
  spec('options.highest', fc.oneof(notNumber, negative, fc.constant(0), nan, infinities), fc.double({ min: 10, max: 3_600_000, noNaN: true })),
  spec(
    'options.relativeError',
    fc.oneof(notNumber, negative, fc.constant(0), fc.double({ min: 0.1, minExcluded: true, noNaN: true }), fc.double({ min: Number.MIN_VALUE, max: 2 ** -21, noNaN: true }), nan, infinities),
    fc.double({ min: 0.001, max: 0.1, noNaN: true }),
  ),
]

fuzzEachOption(
  'createHistogram(options)',
  () => ({}),
  histogramSpecs,
  (options) => createHistogram(options),
)

describe('createHistogram(options) and createMetrics(options): the options objects, layouts and valid values', () => {
  it('throws a TypeError naming options for options that are not an object', () => {
    fc.assert(
      fc.property(fc.oneof(notObject, anArray), (bad) =>
        expectOptionError(
          thrownBy(() => createHistogram(bad as never)),
          'options',
          bad,
        ),
      ),
      { numRuns: 40 },
    )
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.string({ maxLength: 8 }), fc.boolean(), fc.bigInt()), (bad) =>
        expectOptionError(
          thrownBy(() => createMetrics(bad as never)),
          'options',
          bad,
        ),
      ),
      { numRuns: 40 },
    )
  })

  it('throws a RangeError naming the options when the layout conflicts or needs too many slots', () => {
    expect(() => createHistogram({ lowest: 10, highest: 5 })).toThrowError(new RangeError('options.highest (5) must be above options.lowest (10)'))
    expect(() => createHistogram({ lowest: 1e-300, highest: 1e300, relativeError: 2 ** -20 })).toThrowError(RangeError)
    expect(() => createHistogram({ lowest: 1e-300, highest: 1e300, relativeError: 2 ** -20 })).toThrowError(/options\.lowest .*options\.highest .*options\.relativeError/)
  })

  it("checks the pools' histogram layouts when the metrics are built, naming the faulty field and its value", () => {
    fc.assert(
      fc.property(fc.constantFrom('histogram', 'keyHistogram'), fc.constantFrom(...histogramSpecs), fc.gen(), (which, s, gen) => {
        const bad = gen(() => s.invalid.filter(noSymbol))
        const error = thrownBy(() => createMetrics({ [which]: { [s.at[0]!]: bad } }))
        expectOptionError(error, s.at[0]!, bad)
      }),
      { numRuns: 80 },
    )
  })

  it('accepts any mix of valid options, boundaries included', () => {
    fc.assert(
      fc.property(
        optionsArbitrary(() => ({}), metricsSpecs, undefined),
        optionsArbitrary(() => ({}), histogramSpecs, undefined),
        (options, histogram) => {
          expect(createMetrics({ ...options, histogram, keyHistogram: histogram }).snapshot().pools).toEqual([])
          expect(createHistogram(histogram).count).toBe(0)
        },
      ),
      { numRuns: 100 },
    )
    expect(() => createMetrics({ maxKeys: 0, buckets: [], windowMs: Number.MIN_VALUE })).not.toThrow()
    expect(() => createHistogram({ relativeError: 0.1 })).not.toThrow()
    expect(() => createHistogram({ relativeError: 2 ** -20, lowest: 1, highest: 2 })).not.toThrow()
  })
})

// ---------------------------------------------------------------- exporters' prefix

const promPrefix = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/)
const badPromPrefix = fc.oneof(
  fc.string({ maxLength: 8 }).filter((p) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p)),
  fc.constantFrom('', '1up', 'a-b', 'a.b', 'a:b', 'pool kit'),
  notString,
)
const otelPrefix = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,6}(\.[A-Za-z][A-Za-z0-9_-]{0,6}){0,2}$/)
const badOtelPrefix = fc.oneof(
  fc.string({ maxLength: 8 }).filter((p) => !/^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z][A-Za-z0-9_-]*)*$/.test(p)),
  fc.constantFrom('', '_x', 'a..b', 'a.', '.a', '1a'),
  notString,
)

function fakeRegistry() {
  const registered: string[] = []
  return {
    registered,
    registry: {
      registerMetric: (metric: { name: string }) => void registered.push(metric.name),
      removeSingleMetric: () => {},
      getSingleMetric: () => undefined,
    },
  }
}

function fakeMeter() {
  let calls = 0
  const instrument = () => (calls++, {})
  return {
    get calls() {
      return calls
    },
    meter: {
      createObservableCounter: instrument,
      createObservableGauge: instrument,
      createObservableUpDownCounter: instrument,
      addBatchObservableCallback: () => void calls++,
      removeBatchObservableCallback: () => {},
    },
  }
}

describe("the exporters' options.prefix", () => {
  const metrics = createMetrics()
  const snapshot = metrics.snapshot()

  it('formatPrometheus and registerPromClient throw a TypeError naming options.prefix and the value for each invalid prefix, registering nothing', () => {
    fc.assert(
      fc.property(badPromPrefix, (bad) => {
        expectOptionError(
          thrownBy(() => formatPrometheus(snapshot, { prefix: bad as never })),
          'options.prefix',
          bad,
        )
        const fake = fakeRegistry()
        expectOptionError(
          thrownBy(() => registerPromClient(metrics, fake.registry as never, { prefix: bad as never })),
          'options.prefix',
          bad,
        )
        expect(fake.registered).toEqual([])
      }),
      { numRuns: 100 },
    )
  })

  it('bridgeOpenTelemetry throws a TypeError naming options.prefix and the value for each invalid prefix, creating no instrument', () => {
    fc.assert(
      fc.property(badOtelPrefix, (bad) => {
        const fake = fakeMeter()
        expectOptionError(
          thrownBy(() => bridgeOpenTelemetry(metrics, fake.meter, { prefix: bad as never })),
          'options.prefix',
          bad,
        )
        expect(fake.calls).toBe(0)
      }),
      { numRuns: 100 },
    )
  })

  it('throw a TypeError naming options for exporter options that are not an object', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null)), (bad) => {
        expectOptionError(
          thrownBy(() => formatPrometheus(snapshot, bad as never)),
          'options',
          bad,
        )
        expectOptionError(
          thrownBy(() => bridgeOpenTelemetry(metrics, fakeMeter().meter, bad as never)),
          'options',
          bad,
        )
      }),
      { numRuns: 40 },
    )
  })

  it('accept every valid prefix', () => {
    fc.assert(
      fc.property(promPrefix, otelPrefix, (prom, otel) => {
        expect(formatPrometheus(snapshot, { prefix: prom })).toContain(`${prom}_`)
        const fake = fakeRegistry()
        registerPromClient(metrics, fake.registry as never, { prefix: prom })()
        expect(fake.registered.length).toBeGreaterThan(0)
        expect(fake.registered.every((name) => name.startsWith(`${prom}_`))).toBe(true)
        const meter = fakeMeter()
        bridgeOpenTelemetry(metrics, meter.meter, { prefix: otel })()
        expect(meter.calls).toBeGreaterThan(0)
      }),
      { numRuns: 60 },
    )
  })
})

// ---------------------------------------------------------------- serveMetrics

/** Listening sockets of this process: a server that was created and not closed shows here. */
const servers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length

const serveSpecs: readonly OptionSpec[] = [
  spec('options.metrics', fc.oneof(notObject, plainObject, fc.constant({ snapshot() {} })), fc.constant(createMetrics())),
  spec('options.port', fc.oneof(notNumber, negative, fractional, fc.integer({ min: 65536, max: 1e9 }), nan, infinities), fc.constant(0)),
  spec('options.host', fc.oneof(notString, fc.constant('')), fc.constant('127.0.0.1')),
  spec('options.intervalMs', fc.oneof(notNumber, fc.double({ max: 10, maxExcluded: true, noNaN: true }), nan, infinities), fc.double({ min: 10, max: 1e6, noNaN: true })),
  spec(
    'options.allowedHosts',
    fc.oneof(
      notObject.filter((v) => v !== true && v !== 'all'),
      plainObject,
      fc.constantFrom([''], ['.'], ['a b'], ['evil.example/path'], ['[::1'], ['host:port']),
      fc.tuple(fc.oneof(fc.double(), fc.boolean(), fc.constant(null), plainObject)).map(([h]) => ['ok.example', h]),
    ),
    fc.oneof(fc.constant(true), fc.constant('all'), fc.array(fc.constantFrom('metrics.internal', '.svc.example', 'box.lan:9464', 'LOCALHOST'), { maxLength: 3 })),
  ),
]

describe('serveMetrics(options)', () => {
  it.each(serveSpecs.map((s) => [s.path, s] as const))('rejects at once with a TypeError naming %s and the value, and listens on nothing', async (_path, s) => {
    const before = servers()
    await fc.assert(
      fc.asyncProperty(
        s.invalid,
        optionsArbitrary(() => ({ metrics: createMetrics() }), serveSpecs, s),
        async (bad, options) => {
          setAt(options, s.at, bad)
          expectOptionError(await rejectionOf(serveMetrics(options as never)), s.path, bad)
        },
      ),
      { numRuns: 40 },
    )
    expect(servers()).toBe(before)
  })

  it('rejects options that are not an object, and serves with valid ones, boundaries included', async () => {
    for (const bad of [null, 5, 'x']) expectOptionError(await rejectionOf(serveMetrics(bad as never)), 'options', bad)
    const before = servers()
    const server = await settlesSoon(serveMetrics({ metrics: createMetrics(), port: 0, host: '127.0.0.1', intervalMs: 10 }))
    expect(server.port).toBeGreaterThan(0)
    expect(servers()).toBe(before + 1)
    await server.close()
    // Node drops a closed server's handle from the list a loop turn after close() resolves.
    await vi.waitFor(() => expect(servers()).toBe(before))
  })
})

// ---------------------------------------------------------------- found by the fuzzing above, fixed

describe('createMetrics(options): what the fuzzing found', () => {
  it.each([['options'], ['options.maxKeys'], ['options.buckets'], ['options.clock'], ['options.histogram'], ['options.keyHistogram']])(
    'rejects null for %s with a TypeError naming it (null is not "left out")',
    (path) => {
      const options = path === 'options' ? null : { [path.slice('options.'.length)]: null }
      expectOptionError(
        thrownBy(() => createMetrics(options as never)),
        path,
        null,
      )
    },
  )

  it('names options.histogram.lowest, not options.lowest, for a bad histogram layout', () => {
    expectOptionError(
      thrownBy(() => createMetrics({ histogram: { lowest: -1 } })),
      'options.histogram.lowest',
      -1,
    )
  })

  it('describes a symbol as the symbol, not as "an object"', () => {
    const bad = Symbol('ms')
    expectOptionError(
      thrownBy(() => createMetrics({ windowMs: bad as never })),
      'options.windowMs',
      bad,
    )
  })
})
