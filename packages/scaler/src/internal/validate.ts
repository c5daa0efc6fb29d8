// Option checks shared by the policies: each message names the option path and the value it got.

/** A short description of a value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'symbol') return value.toString()
  if (value === null || typeof value !== 'object') return String(value)
  if (Array.isArray(value)) return 'an array'
  return 'an object'
}

/** The options object itself: `undefined` for none, otherwise a plain object. */
export function optionsObject<T extends object>(path: string, value: T | undefined): Partial<T> {
  if (value === undefined) return {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${path} must be an object, got ${describe(value)}`)
  }
  return value
}

export function nonNegativeInteger(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new TypeError(`${path} must be a non-negative integer, got ${describe(value)}`)
  }
  return value
}

export function positiveInteger(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`${path} must be a positive integer, got ${describe(value)}`)
  }
  return value
}

/** A duration in ms: a finite non-negative number. */
export function duration(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${path} must be a non-negative finite number of milliseconds, got ${describe(value)}`)
  }
  return value
}

/** A duration in ms above 0 (a sampling period). */
export function positiveDuration(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${path} must be a positive finite number of milliseconds, got ${describe(value)}`)
  }
  return value
}

/** A duration in ms: a non-negative number, or Infinity for "never". */
export function durationOrInfinity(path: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new TypeError(`${path} must be a non-negative number of milliseconds or Infinity, got ${describe(value)}`)
  }
  return value
}

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

export function oneOf<T extends string>(path: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new TypeError(`${path} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`)
  }
  return value as T
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
  const lo =
    min === undefined
      ? defaults.min
      : defaults.minFloor === 1
        ? positiveInteger(`${path}.min`, min)
        : nonNegativeInteger(`${path}.min`, min)
  const hi = max === undefined ? defaults.max : positiveInteger(`${path}.max`, max)
  if (hi !== undefined && lo > hi) {
    throw new RangeError(`${path}.min (${lo}) must not exceed ${path}.max (${hi})`)
  }
  return { min: lo, max: hi }
}
