// Options fuzzing with fast-check, shared by the packages' options-fuzz suites:
// arbitraries of wrong-typed and out-of-range values, a check that an error
// names the option and the value the way the packages' messages do, and a
// builder of options objects that fills the other options with valid values.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

// ---------------------------------------------------------------- arbitraries

/** A symbol with a short random description. */
export const symbol = fc.string({ maxLength: 5 }).map((s) => Symbol(s))

/** A small plain object of numbers and strings, empty included. */
export const plainObject = fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxKeys: 3 })

/** A short array of numbers and strings, empty included. */
export const anArray = fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxLength: 3 })

/** A function (always the same one). */
export const aFunction = fc.constant(() => 1)

/** Anything but a number. */
export const notNumber = fc.oneof(fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), fc.bigInt(), symbol, plainObject, anArray, aFunction)

/** Anything but a string (and not undefined, which means "not given"). */
export const notString = fc.oneof(fc.double(), fc.boolean(), fc.constant(null), fc.bigInt(), symbol, plainObject, anArray, aFunction)

/** Anything but a function (and not undefined, which means "not given"). */
export const notFunction = fc.oneof(fc.double(), fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), fc.bigInt(), symbol, plainObject, anArray)

/** Anything but a boolean (and not undefined), the strings `'true'` and `'false'` included. */
export const notBoolean = fc.oneof(fc.double(), fc.constantFrom('true', 'false', ''), fc.constant(null), fc.bigInt(), symbol, plainObject, anArray, aFunction)

/**
 * Not an object at all. Arrays and functions are objects to `typeof` checks, so
 * they are left out here and added by each option's own arbitrary where invalid.
 */
export const notObject = fc.oneof(fc.double(), fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), fc.bigInt(), symbol)

/** A negative number: integers and doubles down to -Infinity. */
export const negative = fc.oneof(fc.integer({ min: -1_000_000, max: -1 }), fc.double({ max: -Number.MIN_VALUE, noNaN: true }))

/** A positive finite number that is not an integer. */
export const fractional = fc.double({ min: Number.MIN_VALUE, max: 1e9, noInteger: true, noNaN: true, noDefaultInfinity: true })

/** `NaN`. */
export const nan = fc.constant(Number.NaN)

/** `Infinity` or `-Infinity`. */
export const infinities = fc.constantFrom(Infinity, -Infinity)

// ---------------------------------------------------------------- checks

/** How the packages' messages write a value (`describe()`): strings quoted, objects by kind. */
export function describeLike(value: unknown): string {
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
export function descriptionsOf(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return [describeLike(value)]
  const members = value instanceof Map ? [...value.values()] : Object.values(value)
  return [describeLike(value), 'an empty object', 'undefined', ...members.map(describeLike)]
}

/** Asserts `error` is a TypeError or RangeError whose message names `path` and describes `value`. */
export function expectOptionError(error: unknown, path: string, value: unknown): void {
  expect(error instanceof TypeError || error instanceof RangeError, `expected a TypeError or RangeError, got ${String(error)}`).toBe(true)
  const message = (error as Error).message
  expect(message).toContain(path)
  expect(
    descriptionsOf(value).some((d) => message.includes(d)),
    `${message} should describe the value`,
  ).toBe(true)
}

/** The error `build()` throws, failing if it returns. */
export function thrownBy(build: () => unknown): unknown {
  try {
    build()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw, it returned')
}

const HANG_GUARD_MS = 2000

/** Hang guard for async calls: a real timeout that only fails the test, never something waited on to see a behaviour. */
export function settlesSoon<T>(promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${HANG_GUARD_MS} ms`)), HANG_GUARD_MS)
  })
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer))
}

/**
 * The rejection of `promise`, or of `start()` (a throw of starting it included),
 * failing if it resolves (within the hang guard of {@link settlesSoon}).
 *
 * @param dispose - called with what resolved before failing, to release it (a consumer to close)
 */
export async function rejectionOf<T>(promise: Promise<T> | (() => Promise<T>), dispose?: (value: T) => unknown): Promise<unknown> {
  let value: T
  try {
    value = await settlesSoon(typeof promise === 'function' ? promise() : promise)
  } catch (error) {
    return error
  }
  await dispose?.(value)
  throw new Error('expected a rejection, it resolved')
}

// ---------------------------------------------------------------- options objects

/** One option to fuzz: where it is, and what is invalid and valid for it. */
export interface OptionSpec {
  /** The option as messages name it. */
  readonly path: string
  /** Where it sits in the options object. */
  readonly at: readonly string[]
  readonly invalid: fc.Arbitrary<unknown>
  readonly valid: fc.Arbitrary<unknown>
}

/** The spec of the option at `path` (`'options.retry.attempts'`): its place is the path without `options.`. */
export const spec = (path: string, invalidValues: fc.Arbitrary<unknown>, validValues: fc.Arbitrary<unknown>): OptionSpec => ({
  path,
  at: path.replace(/^options\./, '').split('.'),
  invalid: invalidValues,
  valid: validValues,
})

/** Sets `value` at `at` in `target`, copying (or making) the objects on the way so a shared base is not changed. */
export function setAt(target: Record<string, unknown>, at: readonly string[], value: unknown): void {
  let node = target
  for (const key of at.slice(0, -1)) {
    const next = node[key]
    node = (node[key] = typeof next === 'object' && next !== null ? { ...(next as object) } : {}) as Record<string, unknown>
  }
  node[at.at(-1)!] = value
}

/** Whether one place is the other or inside it. */
const overlaps = (a: readonly string[], b: readonly string[]): boolean => a.every((k, i) => b[i] === undefined || b[i] === k) || b.every((k, i) => a[i] === undefined || a[i] === k)

/**
 * Options made of `base` and a random set of valid values for the specs that do
 * not overlap `skip`; nothing is set at `skip`, which is the caller's to set.
 */
export function optionsArbitrary(base: () => Record<string, unknown>, specs: readonly OptionSpec[], skip: OptionSpec | undefined): fc.Arbitrary<Record<string, unknown>> {
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
export function fuzzEachOption(label: string, base: () => Record<string, unknown>, specs: readonly OptionSpec[], build: (options: Record<string, unknown>) => unknown, numRuns = 80): void {
  describe(label, () => {
    it.each(specs.map((s) => [s.path, s] as const))('throws a TypeError or RangeError naming %s and the value for each invalid value', (_path, s) => {
      fc.assert(
        fc.property(s.invalid, optionsArbitrary(base, specs, s), (bad, options) => {
          setAt(options, s.at, bad)
          expectOptionError(
            thrownBy(() => build(options)),
            s.path,
            bad,
          )
        }),
        { numRuns },
      )
    })
  })
}
