// Option checks: each message names the option path and the value it got.
// The generic checks are core's (`@poolkit/core/validate`), under the names the
// code here uses; what is the resource pool's own stays in this file.
import { describeValue } from '@poolkit/core/validate'

export {
  checkDurationOrInfinity as durationOrInfinity,
  checkFiniteDuration as finiteDuration,
  checkFunction as func,
  checkNonEmptyString as nonEmptyString,
  checkNonNegativeInteger as nonNegativeInteger,
  checkNonNegativeIntegerOrInfinity as nonNegativeIntegerOrInfinity,
  checkObjectWith as objectWith,
  checkOneOf as oneOf,
  checkOptionalAbortSignal as abortSignal,
  checkOptionalBoolean as optionalBoolean,
  checkOptionalFunction as optionalFunction,
  checkOptionsObject as optionsObject,
  checkPositiveDurationOrInfinity as positiveDurationOrInfinity,
  checkPositiveInteger as positiveInteger,
  checkPositiveIntegerOrInfinity as positiveIntegerOrInfinity,
  describeValue as describe,
} from '@poolkit/core/validate'

/**
 * Refuses the option names other pool libraries use (`idleTimeoutMillis`,
 * `testOnBorrow`), which would otherwise be silently ignored, naming ours.
 * Other extra keys are left alone, so an object spread in (`{ ...factory, max }`)
 * is fine, and so are own keys named `__proto__`, `constructor` or `toString`:
 * `hints` is a `Map`, so a key only finds what was put in it.
 */
export function foreignKeys(path: string, value: object, hints: ReadonlyMap<string, string>): void {
  for (const key of Object.keys(value)) {
    const ours = hints.get(key)
    if (ours !== undefined) throw new TypeError(`${keyPath(path, key)} is not an option here; use ${keyPath(path, ours)}`)
  }
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/**
 * The path of `key` under `path` as a message names it: `options.max`, or
 * `options["my key"]` for a key that is not an identifier, and for
 * `__proto__`, since `options.__proto__` reads as the prototype.
 */
export function keyPath(path: string, key: string): string {
  return IDENTIFIER.test(key) && key !== '__proto__' ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`
}

/** A finite number of at least `min` (core's check says "a number of at least"). */
export function numberAtLeast(path: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new TypeError(`${path} must be a finite number of at least ${min}, got ${describeValue(value)}`)
  }
  return value
}
