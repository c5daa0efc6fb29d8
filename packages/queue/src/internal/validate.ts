// Option checks: each message names the option path and the value it got.

/** A short description of a value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'bigint') return `${value}n`
  if (value === null || typeof value !== 'object') return String(value)
  if (Array.isArray(value)) return 'an array'
  return 'an object'
}

/** The options object itself: `undefined` for none, otherwise a plain object. */
export function optionsObject<T extends object>(value: T | undefined): Partial<T> {
  if (value === undefined) return {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`options must be an object, got ${describe(value)}`)
  }
  return value
}

export function positiveInteger(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`${path} must be a positive integer, got ${describe(value)}`)
  }
  return value
}

export function positiveIntegerOrInfinity(path: string, value: unknown): number {
  if (value === Infinity) return value
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`${path} must be a positive integer or Infinity, got ${describe(value)}`)
  }
  return value
}

export function nonNegativeIntegerOrInfinity(path: string, value: unknown): number {
  if (value === Infinity) return value
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new TypeError(`${path} must be a non-negative integer or Infinity, got ${describe(value)}`)
  }
  return value
}

/** A weight: a finite number above zero. */
export function positiveNumber(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${path} must be a finite number above 0, got ${describe(value)}`)
  }
  return value
}

export function optionalFunction(path: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${path} must be a function, got ${describe(value)}`)
  }
}
