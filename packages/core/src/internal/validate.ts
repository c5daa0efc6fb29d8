// Option checks: each message names the option path and the value it got.

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'bigint') return `${value}n`
  if (value === null || typeof value !== 'object') return String(value)
  if (Array.isArray(value)) return 'an array'
  return 'an object'
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

export function nonNegativeIntegerOrInfinity(path: string, value: unknown): number {
  if (value === Infinity) return value
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new TypeError(`${path} must be a non-negative integer or Infinity, got ${describe(value)}`)
  }
  return value
}

/** A duration in ms: a non-negative number; 0 or Infinity means "none" where stated. */
export function duration(path: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new TypeError(`${path} must be a non-negative number of milliseconds or Infinity, got ${describe(value)}`)
  }
  return value
}

export function finiteNumber(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`${path} must be a finite number, got ${describe(value)}`)
  }
  return value
}

export function numberAtLeast(path: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new TypeError(`${path} must be a number of at least ${min}, got ${describe(value)}`)
  }
  return value
}

export function oneOf<T extends string>(path: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new TypeError(`${path} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`)
  }
  return value as T
}

export function boolean(path: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${path} must be a boolean, got ${describe(value)}`)
  return value
}

export function func(path: string, value: unknown): void {
  if (typeof value !== 'function') throw new TypeError(`${path} must be a function, got ${describe(value)}`)
}

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

export function optionalString(path: string, value: unknown): string | undefined {
  if (value !== undefined && typeof value !== 'string') {
    throw new TypeError(`${path} must be a string, got ${describe(value)}`)
  }
  return value
}

export function abortSignal(path: string, value: unknown): void {
  if (
    value !== undefined &&
    (typeof value !== 'object' || value === null || typeof (value as { addEventListener?: unknown }).addEventListener !== 'function' || !('aborted' in value))
  ) {
    throw new TypeError(`${path} must be an AbortSignal, got ${describe(value)}`)
  }
}

/** Checks the options of one task (run, submit, map, runAll); messages name `options.<field>`. */
export function runOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, got ${describe(options)}`)
  const o = options as Record<string, unknown>
  if (o.priority !== undefined) finiteNumber('options.priority', o.priority)
  if (o.timeout !== undefined) duration('options.timeout', o.timeout)
  optionalString('options.key', o.key)
  optionalString('options.name', o.name)
  if (o.signal !== undefined) abortSignal('options.signal', o.signal)
  if (o.transfer !== undefined && !Array.isArray(o.transfer)) {
    throw new TypeError(`options.transfer must be an array, got ${describe(o.transfer)}`)
  }
}
