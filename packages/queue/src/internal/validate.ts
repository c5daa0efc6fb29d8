// Option checks: each message names the option path and the value it got.
// The generic checks are core's (`@poolkit/core/validate`), under the names the
// code here uses; what is the queues' own stays in this file.
import { checkOptionsObject, describeValue } from '@poolkit/core/validate'

export {
  checkNonNegativeIntegerOrInfinity as nonNegativeIntegerOrInfinity,
  checkOptionalFunction as optionalFunction,
  checkPositiveInteger as positiveInteger,
  checkPositiveIntegerOrInfinity as positiveIntegerOrInfinity,
  describeValue as describe,
} from '@poolkit/core/validate'

/** The options object itself (named `options`): `undefined` for none, otherwise a plain object. */
export function optionsObject<T extends object>(value: T | undefined): Partial<T> {
  return checkOptionsObject('options', value)
}

/** A weight: a finite number above zero. */
export function positiveNumber(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${path} must be a finite number above 0, got ${describeValue(value)}`)
  }
  return value
}
