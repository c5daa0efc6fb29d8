// Option checks: each message names the option path and the value it got.
// The generic checks are core's (`@poolkit/core/options`), under the names the
// code here uses; what is the resource pool's own stays in this file.
import { describeValue } from '@poolkit/core/options'

export {
  checkDurationOrInfinity as durationOrInfinity,
  checkFiniteDuration as finiteDuration,
  checkFunction as func,
  checkNonEmptyString as nonEmptyString,
  checkNonNegativeInteger as nonNegativeInteger,
  checkNonNegativeIntegerOrInfinity as nonNegativeIntegerOrInfinity,
  checkObjectWith as objectWith,
  checkOptionalAbortSignal as abortSignal,
  checkOptionalBoolean as optionalBoolean,
  checkOptionalFunction as optionalFunction,
  checkOptionsObject as optionsObject,
  checkPositiveDurationOrInfinity as positiveDurationOrInfinity,
  checkPositiveInteger as positiveInteger,
  checkPositiveIntegerOrInfinity as positiveIntegerOrInfinity,
} from '@poolkit/core/options'

/** A short description of a value for an error message; a Date by name, as a Retry-After may be one. */
export function describe(value: unknown): string {
  return value instanceof Date ? 'a Date' : describeValue(value)
}

/**
 * Refuses the option names other pool libraries use (`idleTimeoutMillis`,
 * `testOnBorrow`), which would otherwise be silently ignored, naming ours.
 * Other extra keys are left alone, so an object spread in (`{ ...factory, max }`) is fine.
 */
export function foreignKeys(path: string, value: object, hints: Readonly<Record<string, string>>): void {
  for (const key of Object.keys(value)) {
    const ours = hints[key]
    if (ours !== undefined) throw new TypeError(`${path}.${key} is not an option here; use ${path}.${ours}`)
  }
}

/** A finite number of at least `min` (core's check says "a number of at least"). */
export function numberAtLeast(path: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new TypeError(`${path} must be a finite number of at least ${min}, got ${describe(value)}`)
  }
  return value
}
