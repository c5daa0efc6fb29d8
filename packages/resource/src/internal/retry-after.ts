import { describe } from './validate.js'

const DELAY_SECONDS = /^\s*\d+(?:\.\d+)?\s*$/

/**
 * A cooldown in ms from a Retry-After value: a number is milliseconds; a string
 * is the HTTP header's value, delay-seconds (`'120'`) or an HTTP-date (measured
 * from `Date.now()`); a `Date` is the moment the key may be used again.
 * `undefined` or `null`, or a header value that cannot be read (servers send
 * odd ones), gives `fallbackMs`. A time in the past gives 0.
 */
export function cooldownFrom(path: string, value: unknown, fallbackMs: number): number {
  if (value === undefined || value === null) return fallbackMs
  if (typeof value === 'number') {
    if (Number.isNaN(value) || value < 0) throw new TypeError(`${path} must be a non-negative number of milliseconds, got ${describe(value)}`)
    return value
  }
  if (typeof value === 'string') {
    if (DELAY_SECONDS.test(value)) return Number(value) * 1000
    const at = Date.parse(value)
    return Number.isNaN(at) ? fallbackMs : Math.max(0, at - Date.now())
  }
  if (value instanceof Date) {
    const at = value.getTime()
    if (Number.isNaN(at)) throw new TypeError(`${path} must be a valid Date, got an invalid one`)
    return Math.max(0, at - Date.now())
  }
  throw new TypeError(`${path} must be milliseconds, a Retry-After header value or a Date, got ${describe(value)}`)
}
