// Option checks shared by the policies: each message names the option path and the value it got.

/** A short description of a value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'bigint') return `${value}n`
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

/** A record of named entries (`options.limits`): `undefined` for none, otherwise a plain object. */
export function recordOf(path: string, value: unknown): Readonly<Record<string, unknown>> {
  if (value === undefined) return {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${path} must be an object keyed by task key, got ${describe(value)}`)
  }
  return value as Record<string, unknown>
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

export function optionalFunction(path: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${path} must be a function, got ${describe(value)}`)
  }
}

export function oneOf<T extends string>(path: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new TypeError(`${path} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`)
  }
  return value as T
}

/** An object with the named methods (a clock, a policy). */
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
