/** Option checks for the simulator: each message names the option path and the value. */

/** A short, readable form of any value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (Array.isArray(value)) return 'an array'
  if (value === null) return 'null'
  if (typeof value === 'object') return 'an object'
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- only primitives are left here
  return String(value)
}

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
