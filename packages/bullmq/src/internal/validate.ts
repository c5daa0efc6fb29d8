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

/** The options object itself: a plain object. */
export function optionsObject<T extends object>(path: string, value: T | undefined): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${path} must be an object, got ${describe(value)}`)
  }
  return value
}

/** A BullMQ queue name: a non-empty string without `:` (BullMQ builds its Redis keys with it). */
export function queueName(path: string, value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.includes(':')) {
    throw new TypeError(`${path} must be a non-empty string without ':', got ${describe(value)}`)
  }
  return value
}

/** BullMQ's `connection`: Redis options or a client instance. */
export function connection(path: string, value: unknown): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${path} must be Redis connection options or an ioredis instance, got ${describe(value)}`)
  }
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

/** A delay or limit in ms that must pass: a positive finite number. */
export function positiveDuration(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${path} must be a positive number of milliseconds, got ${describe(value)}`)
  }
  return value
}

/** A duration in ms: a non-negative number; Infinity for none where stated. */
export function duration(path: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new TypeError(`${path} must be a non-negative number of milliseconds or Infinity, got ${describe(value)}`)
  }
  return value
}

export function oneOf<T extends string>(path: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new TypeError(`${path} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`)
  }
  return value as T
}

export function optionalFunction(path: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') throw new TypeError(`${path} must be a function, got ${describe(value)}`)
}

export function optionalString(path: string, value: unknown): string | undefined {
  if (value !== undefined && typeof value !== 'string') throw new TypeError(`${path} must be a string, got ${describe(value)}`)
  return value
}

/** A poolkit priority that maps onto BullMQ's range (see `toJobPriority`). */
export function jobPriority(path: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > max) {
    throw new RangeError(`${path} must be an integer from -${max} to ${max} for a BullMQ job, got ${describe(value)}`)
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

/** A core pool, duck-typed: what the consumer calls on it. */
export function pool(path: string, value: unknown): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(`${path} must be a poolkit Pool, got ${describe(value)}`)
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
      throw new TypeError(`${path} must be a Clock (with now(), setTimeout() and clearTimeout()), got ${describe(value)}`)
    }
  }
}
