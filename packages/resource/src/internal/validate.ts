// Option checks: each message names the option path and the value it got.

/** A short description of a value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'symbol') return value.toString()
  if (value === null || typeof value !== 'object') return String(value)
  if (Array.isArray(value)) return 'an array'
  if (value instanceof Date) return 'a Date'
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

export function positiveInteger(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`${path} must be a positive integer, got ${describe(value)}`)
  }
  return value
}

export function nonNegativeInteger(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new TypeError(`${path} must be a non-negative integer, got ${describe(value)}`)
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

/** A duration in ms: a non-negative number or Infinity. */
export function durationOrInfinity(path: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new TypeError(`${path} must be a non-negative number of milliseconds or Infinity, got ${describe(value)}`)
  }
  return value
}

/** A duration in ms that must be more than 0 (Infinity allowed). */
export function positiveDurationOrInfinity(path: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
    throw new TypeError(`${path} must be a positive number of milliseconds or Infinity, got ${describe(value)}`)
  }
  return value
}

/** A finite duration in ms: a non-negative number. */
export function finiteDuration(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${path} must be a non-negative finite number of milliseconds, got ${describe(value)}`)
  }
  return value
}

export function numberAtLeast(path: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new TypeError(`${path} must be a finite number of at least ${min}, got ${describe(value)}`)
  }
  return value
}

export function func(path: string, value: unknown): void {
  if (typeof value !== 'function') throw new TypeError(`${path} must be a function, got ${describe(value)}`)
}

export function optionalFunction(path: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${path} must be a function, got ${describe(value)}`)
  }
}

export function optionalBoolean(path: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new TypeError(`${path} must be a boolean, got ${describe(value)}`)
  }
  return value
}

export function nonEmptyString(path: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`${path} must be a non-empty string, got ${describe(value)}`)
  }
  return value
}

/** An object with the named methods (a clock). */
export function objectWith(path: string, value: unknown, methods: readonly string[]): void {
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`${path} must be an object, got ${describe(value)}`)
  }
  for (const m of methods) {
    if (typeof (value as Record<string, unknown>)[m] !== 'function') {
      throw new TypeError(`${path}.${m} must be a function, got ${describe((value as Record<string, unknown>)[m])}`)
    }
  }
}

export function abortSignal(path: string, value: unknown): void {
  if (
    value !== undefined &&
    (typeof value !== 'object' ||
      value === null ||
      typeof (value as { addEventListener?: unknown }).addEventListener !== 'function' ||
      !('aborted' in value))
  ) {
    throw new TypeError(`${path} must be an AbortSignal, got ${describe(value)}`)
  }
}
