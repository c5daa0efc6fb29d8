// Option checks shared by the policies: each message names the option path and the value it got.
// The generic checks are core's (`@poolkit/core/validate`), under the names the
// code here uses; what is the breakers' own stays in this file.
import type { KeyFunction } from '@poolkit/core'
import { describeValue } from '@poolkit/core/validate'

export {
  checkDurationOrInfinity as durationOrInfinity,
  checkNonNegativeIntegerOrInfinity as nonNegativeIntegerOrInfinity,
  checkObjectWith as objectWith,
  checkOneOf as oneOf,
  checkOptionalFunction as optionalFunction,
  checkOptionsObject as optionsObject,
  checkPositiveIntegerOrInfinity as positiveIntegerOrInfinity,
  describeValue as describe,
} from '@poolkit/core/validate'

/** A record of named entries (`options.limits`): `undefined` for none, otherwise a plain object. */
export function recordOf(path: string, value: unknown): Readonly<Record<string, unknown>> {
  if (value === undefined) return {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${path} must be an object keyed by task key, got ${describeValue(value)}`)
  }
  return value as Record<string, unknown>
}

/** A policy's `key` option: a `KeyFunction`, or `undefined` for the task's own `key`. */
export function keyFunction(path: string, value: unknown): KeyFunction | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${path} must be a function of the task that returns its key, like (task) => task.labels?.provider, got ${describeValue(value)}`)
  }
  return value as KeyFunction | undefined
}
