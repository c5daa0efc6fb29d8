/** Option checks for the simulator: each message names the option path and the value. */

import { describeValue as describe } from '@poolkit/core/validate'

export { describe }

/** A finite number `>= 0`. */
export function nonNegative(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${path} must be a non-negative finite number, got ${describe(value)}`)
  }
  return value
}

/** A finite number `> 0`. */
export function positive(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${path} must be a positive finite number, got ${describe(value)}`)
  }
  return value
}

/** An integer `>= 1`. */
export function positiveInteger(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`${path} must be a positive integer, got ${describe(value)}`)
  }
  return value
}

/** An integer `>= 0`. */
export function nonNegativeInteger(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new TypeError(`${path} must be a non-negative integer, got ${describe(value)}`)
  }
  return value
}

/** A number in `[0, 1]`, or `[0, 1)` when `open`. */
export function share(path: string, value: unknown, open = false): number {
  if (typeof value !== 'number' || !(value >= 0) || (open ? value >= 1 : value > 1)) {
    throw new TypeError(`${path} must be a number from 0 to ${open ? 'below ' : ''}1, got ${describe(value)}`)
  }
  return value
}
