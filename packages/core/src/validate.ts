// @poolkit/core/validate: the option checks every poolkit package validates with,
// for authors of poolkit-compatible packages (a custom queue, executor or scaler).
// Each check throws a TypeError whose message names the option path and the
// value it got: `options.maxQueue must be a non-negative integer or Infinity, got -1`.

/**
 * Describes a value for an error message: strings quoted, `bigint`s with their
 * `n`, other primitives as `String()` writes them, and objects by kind
 * (`an array`, `a Date`, `a function`, `an object`), never by their contents
 * or their own `toString`. Every poolkit package writes the values in its
 * messages with this one function.
 * @param value - the value to describe
 * @returns the description, as it follows `got` in a message
 * @public
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'bigint') return `${value}n`
  if (value === null || typeof value !== 'object') return String(value)
  if (Array.isArray(value)) return 'an array'
  // A Retry-After or a deadline may be given as one.
  if (value instanceof Date) return 'a Date'
  return 'an object'
}

/**
 * Checks an options argument that may be left out: `undefined` gives `{}`, anything but a plain object (null and arrays included) throws.
 * @param path - the option path the message names, e.g. `'options'` or `'options.retry'`
 * @param value - the options as the caller gave them
 * @returns the options, or `{}` for `undefined`
 * @throws TypeError `options must be an object, got 7`
 * @example
 * ```ts
 * import { checkOptionsObject, checkPositiveInteger, checkDurationOrInfinity } from '@poolkit/core/validate'
 *
 * export function createMyQueue(options?: MyQueueOptions): TaskQueue<unknown> {
 *   const o = checkOptionsObject('options', options)
 *   const capacity = o.capacity === undefined ? 1024 : checkPositiveInteger('options.capacity', o.capacity)
 *   const maxAge = o.maxAgeMs === undefined ? Infinity : checkDurationOrInfinity('options.maxAgeMs', o.maxAgeMs)
 *   // ...
 * }
 * // createMyQueue({ capacity: 0 }) throws
 * // TypeError: options.capacity must be a positive integer, got 0
 * ```
 * @public
 */
export function checkOptionsObject<T extends object>(path: string, value: T | undefined): Partial<T> {
  if (value === undefined) return {}
  return checkObject(path, value)
}

/**
 * Checks a required object: anything but a plain object (`undefined`, null and arrays included) throws.
 * @param path - the option path the message names, e.g. `'options.jobOptions'`
 * @param value - the value to check
 * @returns the value
 * @throws TypeError `options.jobOptions must be an object, got null`
 * @public
 */
export function checkObject<T extends object>(path: string, value: T | undefined): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${path} must be an object, got ${describeValue(value)}`)
  }
  return value
}

/**
 * Checks an integer of at least 1.
 * @param path - the option path the message names, e.g. `'options.concurrency'`
 * @param value - the value to check
 * @returns the value
 * @throws TypeError `options.concurrency must be a positive integer, got 0`
 * @public
 */
export function checkPositiveInteger(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`${path} must be a positive integer, got ${describeValue(value)}`)
  }
  return value
}

/**
 * Checks an integer of at least 0.
 * @param path - the option path the message names, e.g. `'options.prefetch'`
 * @param value - the value to check
 * @returns the value
 * @throws TypeError `options.prefetch must be a non-negative integer, got -1`
 * @public
 */
export function checkNonNegativeInteger(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new TypeError(`${path} must be a non-negative integer, got ${describeValue(value)}`)
  }
  return value
}

/**
 * Checks an integer of at least 1, or `Infinity` for no limit.
 * @param path - the option path the message names, e.g. `'options.maxUses'`
 * @param value - the value to check
 * @returns the value
 * @throws TypeError `options.maxUses must be a positive integer or Infinity, got 0`
 * @public
 */
export function checkPositiveIntegerOrInfinity(path: string, value: unknown): number {
  if (value === Infinity) return value
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`${path} must be a positive integer or Infinity, got ${describeValue(value)}`)
  }
  return value
}

/**
 * Checks an integer of at least 0, or `Infinity` for no limit.
 * @param path - the option path the message names, e.g. `'options.maxQueue'`
 * @param value - the value to check
 * @returns the value
 * @throws TypeError `options.maxQueue must be a non-negative integer or Infinity, got -1`
 * @public
 */
export function checkNonNegativeIntegerOrInfinity(path: string, value: unknown): number {
  if (value === Infinity) return value
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new TypeError(`${path} must be a non-negative integer or Infinity, got ${describeValue(value)}`)
  }
  return value
}

/**
 * Checks a duration in milliseconds of at least 0, or `Infinity` (a timeout with none).
 * @param path - the option path the message names, e.g. `'options.taskTimeout'`
 * @param value - the value to check
 * @returns the value
 * @throws TypeError `options.taskTimeout must be a non-negative number of milliseconds or Infinity, got -1`
 * @public
 */
export function checkDurationOrInfinity(path: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new TypeError(`${path} must be a non-negative number of milliseconds or Infinity, got ${describeValue(value)}`)
  }
  return value
}

/**
 * Checks a finite duration in milliseconds of at least 0 (a delay that must end).
 * @param path - the option path the message names, e.g. `'options.cooldownMs'`
 * @param value - the value to check
 * @returns the value
 * @throws TypeError `options.cooldownMs must be a non-negative finite number of milliseconds, got -1`
 * @public
 */
export function checkFiniteDuration(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${path} must be a non-negative finite number of milliseconds, got ${describeValue(value)}`)
  }
  return value
}

/**
 * Checks a finite duration in milliseconds above 0 (a period or an interval).
 * @param path - the option path the message names, e.g. `'options.intervalMs'`
 * @param value - the value to check
 * @returns the value
 * @throws TypeError `options.intervalMs must be a positive finite number of milliseconds, got 0`
 * @public
 */
export function checkPositiveDuration(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${path} must be a positive finite number of milliseconds, got ${describeValue(value)}`)
  }
  return value
}

/**
 * Checks a duration in milliseconds above 0, or `Infinity` for never.
 * @param path - the option path the message names, e.g. `'options.maxLifetimeMs'`
 * @param value - the value to check
 * @returns the value
 * @throws TypeError `options.maxLifetimeMs must be a positive number of milliseconds or Infinity, got 0`
 * @public
 */
export function checkPositiveDurationOrInfinity(path: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0)) {
    throw new TypeError(`${path} must be a positive number of milliseconds or Infinity, got ${describeValue(value)}`)
  }
  return value
}

/**
 * Checks a finite number.
 * @param path - the option path the message names, e.g. `'options.priority'`
 * @param value - the value to check
 * @returns the value
 * @throws TypeError `options.priority must be a finite number, got NaN`
 * @public
 */
export function checkFiniteNumber(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`${path} must be a finite number, got ${describeValue(value)}`)
  }
  return value
}

/**
 * Checks a finite number of at least `min`.
 * @param path - the option path the message names, e.g. `'options.retry.backoff.factor'`
 * @param value - the value to check
 * @param min - the smallest value allowed
 * @returns the value
 * @throws TypeError `options.retry.backoff.factor must be a number of at least 1, got 0.5`
 * @public
 */
export function checkNumberAtLeast(path: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new TypeError(`${path} must be a number of at least ${min}, got ${describeValue(value)}`)
  }
  return value
}

/**
 * Checks one of a set of strings.
 * @param path - the option path the message names, e.g. `'options.onQueueFull'`
 * @param value - the value to check
 * @param allowed - the strings allowed, in the order the message lists them
 * @returns the value
 * @throws TypeError `options.onQueueFull must be one of 'reject', 'drop-oldest', 'wait', got "block"`
 * @public
 */
export function checkOneOf<T extends string>(path: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new TypeError(`${path} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describeValue(value)}`)
  }
  return value as T
}

/**
 * Checks a boolean.
 * @param path - the option path the message names, e.g. `'options.paused'`
 * @param value - the value to check
 * @returns the value
 * @throws TypeError `options.paused must be a boolean, got "yes"`
 * @public
 */
export function checkBoolean(path: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${path} must be a boolean, got ${describeValue(value)}`)
  return value
}

/**
 * Checks a boolean or `undefined` (left out).
 * @param path - the option path the message names, e.g. `'options.validateOnReturn'`
 * @param value - the value to check
 * @returns the value
 * @throws TypeError `options.validateOnReturn must be a boolean, got "yes"`
 * @public
 */
export function checkOptionalBoolean(path: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new TypeError(`${path} must be a boolean, got ${describeValue(value)}`)
  }
  return value
}

/**
 * Checks a function.
 * @param path - the option path the message names, e.g. `'options.retry.retryIf'`
 * @param value - the value to check
 * @throws TypeError `options.retry.retryIf must be a function, got true`
 * @public
 */
export function checkFunction(path: string, value: unknown): void {
  if (typeof value !== 'function') throw new TypeError(`${path} must be a function, got ${describeValue(value)}`)
}

/**
 * Checks a function or `undefined` (left out).
 * @param path - the option path the message names, e.g. `'options.validate'`
 * @param value - the value to check
 * @throws TypeError `options.validate must be a function, got true`
 * @public
 */
export function checkOptionalFunction(path: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${path} must be a function, got ${describeValue(value)}`)
  }
}

/**
 * Checks a string or `undefined` (left out).
 * @param path - the option path the message names, e.g. `'options.name'`
 * @param value - the value to check
 * @returns the value
 * @throws TypeError `options.name must be a string, got 5`
 * @public
 */
export function checkOptionalString(path: string, value: unknown): string | undefined {
  if (value !== undefined && typeof value !== 'string') {
    throw new TypeError(`${path} must be a string, got ${describeValue(value)}`)
  }
  return value
}

/**
 * Checks a string with at least one character.
 * @param path - the option path the message names, e.g. `'options.name'`
 * @param value - the value to check
 * @returns the value
 * @throws TypeError `options.name must be a non-empty string, got ""`
 * @public
 */
export function checkNonEmptyString(path: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`${path} must be a non-empty string, got ${describeValue(value)}`)
  }
  return value
}

/**
 * Checks an array of non-empty strings (capabilities, names).
 * @param path - the option path the message names, e.g. `'options.requires'`
 * @param value - the value to check
 * @returns a copy of the array
 * @throws TypeError `options.requires must be an array of non-empty strings, got "gpu"` or `options.requires[1] must be a non-empty string, got 5`
 * @public
 */
export function checkStringArray(path: string, value: unknown): string[] {
  if (!Array.isArray(value)) throw new TypeError(`${path} must be an array of non-empty strings, got ${describeValue(value)}`)
  const copy: string[] = []
  for (let i = 0; i < value.length; i++) copy.push(checkNonEmptyString(`${path}[${i}]`, value[i]))
  return copy
}

/**
 * Checks an object that has each of the named methods (a custom queue, an executor), naming the first one missing.
 * @param path - the option path the message names, e.g. `'options.queue'`
 * @param value - the value to check
 * @param methods - the names of the methods it must have
 * @throws TypeError `options.queue must be an object, got 5` or `options.queue.shift must be a function, got undefined`
 * @public
 */
export function checkObjectWith(path: string, value: unknown, methods: readonly string[]): void {
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`${path} must be an object, got ${describeValue(value)}`)
  }
  for (const m of methods) {
    if (typeof (value as Record<string, unknown>)[m] !== 'function') {
      throw new TypeError(`${path}.${m} must be a function, got ${describeValue((value as Record<string, unknown>)[m])}`)
    }
  }
}

const CLOCK_METHODS = ['now', 'setTimeout', 'clearTimeout'] as const

/**
 * Checks a `Clock`: an object with `now`, `setTimeout` and `clearTimeout`.
 * @param path - the option path the message names, e.g. `'options.clock'`
 * @param value - the value to check
 * @throws TypeError `options.clock.setTimeout must be a function, got undefined`
 * @public
 */
export function checkClock(path: string, value: unknown): void {
  checkObjectWith(path, value, CLOCK_METHODS)
}

/**
 * Checks an `AbortSignal` (anything with `aborted` and `addEventListener`) or `undefined` (left out).
 * @param path - the option path the message names, e.g. `'options.signal'`
 * @param value - the value to check
 * @throws TypeError `options.signal must be an AbortSignal, got "no"`
 * @public
 */
export function checkOptionalAbortSignal(path: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'object' || value === null || typeof (value as { addEventListener?: unknown }).addEventListener !== 'function' || !('aborted' in value))) {
    throw new TypeError(`${path} must be an AbortSignal, got ${describeValue(value)}`)
  }
}
