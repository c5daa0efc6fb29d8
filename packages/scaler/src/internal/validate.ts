// Option checks shared by the policies: each message names the option path and the value it got.
// The generic checks are core's (`@poolkit/core/validate`), under the names the
// code here uses; what is the scalers' own stays in this file.
import { checkNonNegativeInteger, checkPositiveInteger, describeValue as describe } from '@poolkit/core/validate'

export {
  checkDurationOrInfinity as durationOrInfinity,
  checkFiniteDuration as duration,
  checkNonNegativeInteger as nonNegativeInteger,
  checkOneOf as oneOf,
  checkOptionsObject as optionsObject,
  checkPositiveDuration as positiveDuration,
  checkPositiveInteger as positiveInteger,
} from '@poolkit/core/validate'

/** A share in `(0, 1]`: above 0, at most 1. */
export function shareAbove0(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 1) {
    throw new TypeError(`${path} must be a number above 0 and at most 1, got ${describe(value)}`)
  }
  return value
}

/** A share in `[0, 1)`: at least 0, below 1. */
export function shareBelow1(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value >= 1) {
    throw new TypeError(`${path} must be a number from 0 up to (not including) 1, got ${describe(value)}`)
  }
  return value
}

/** A share strictly between 0 and 1. */
export function shareBetween(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value >= 1) {
    throw new TypeError(`${path} must be a number above 0 and below 1, got ${describe(value)}`)
  }
  return value
}

/** A finite number of at least `min` (`exclusive`: above `min`). */
export function numberAtLeast(path: string, value: unknown, min: number, exclusive = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || (exclusive ? value <= min : value < min)) {
    throw new TypeError(`${path} must be a finite number ${exclusive ? 'above' : 'of at least'} ${min}, got ${describe(value)}`)
  }
  return value
}

/**
 * The `min` and `max` every policy takes: `min` a non-negative integer
 * (`minFloor` raises the floor), `max` a positive integer or `undefined` (the
 * pool's `concurrency`), and `min <= max`.
 */
export function bounds(
  path: string,
  min: unknown,
  max: unknown,
  defaults: { readonly min: number; readonly max: number | undefined; readonly minFloor?: number },
): { readonly min: number; readonly max: number | undefined } {
  const lo = min === undefined ? defaults.min : defaults.minFloor === 1 ? checkPositiveInteger(`${path}.min`, min) : checkNonNegativeInteger(`${path}.min`, min)
  const hi = max === undefined ? defaults.max : checkPositiveInteger(`${path}.max`, max)
  if (hi !== undefined && lo > hi) {
    throw new RangeError(`${path}.min (${lo}) must not exceed ${path}.max (${hi})`)
  }
  return { min: lo, max: hi }
}
