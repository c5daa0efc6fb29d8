// Option checks: each message names the option path and the value it got.
// The generic checks are core's (`@poolkit/core/validate`), under the names the
// code here uses; what is BullMQ's own stays in this file.
import { describeValue } from '@poolkit/core/validate'

export {
  checkDurationOrInfinity as duration,
  checkNonNegativeInteger as nonNegativeInteger,
  checkObject as optionsObject,
  checkOneOf as oneOf,
  checkOptionalAbortSignal as abortSignal,
  checkOptionalFunction as optionalFunction,
  checkOptionalString as optionalString,
  checkPositiveIntegerOrInfinity as positiveIntegerOrInfinity,
} from '@poolkit/core/validate'

/** A BullMQ queue name: a non-empty string without `:` (BullMQ builds its Redis keys with it). */
export function queueName(path: string, value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.includes(':')) {
    throw new TypeError(`${path} must be a non-empty string without ':', got ${describeValue(value)}`)
  }
  return value
}

/** BullMQ's `connection`: Redis options or a client instance. */
export function connection(path: string, value: unknown): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${path} must be Redis connection options or an ioredis instance, got ${describeValue(value)}`)
  }
}

/** A delay or limit in ms that must pass: a positive finite number (core's check says "positive finite number"). */
export function positiveDuration(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${path} must be a positive number of milliseconds, got ${describeValue(value)}`)
  }
  return value
}

/** A poolkit priority that maps onto BullMQ's range (see `toJobPriority`). */
export function jobPriority(path: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > max) {
    throw new RangeError(`${path} must be an integer from -${max} to ${max} for a BullMQ job, got ${describeValue(value)}`)
  }
  return value
}

/** A core pool, duck-typed: what the consumer calls on it. */
export function pool(path: string, value: unknown): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(`${path} must be a poolkit Pool, got ${describeValue(value)}`)
  for (const method of ['submit', 'stats', 'ready']) {
    if (typeof (value as Record<string, unknown>)[method] !== 'function') {
      throw new TypeError(`${path} must be a poolkit Pool (createPool from @poolkit/core), got an object without ${method}()`)
    }
  }
}

/** A core `Clock` (now, setTimeout, clearTimeout), or undefined for the system clock. */
export function optionalClock(path: string, value: unknown): void {
  if (value === undefined) return
  for (const method of ['now', 'setTimeout', 'clearTimeout']) {
    if (typeof (value as Record<string, unknown> | null)?.[method] !== 'function') {
      throw new TypeError(`${path} must be a Clock (with now(), setTimeout() and clearTimeout()), got ${describeValue(value)}`)
    }
  }
}
