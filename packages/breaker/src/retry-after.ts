/**
 * Reads a retry hint from an error, in milliseconds from now: how long the
 * provider asked callers to wait (an HTTP 429 or 503 with `Retry-After`).
 *
 * It understands, in this order:
 * - `error.retryAfterMs`: milliseconds (a number or a numeric string);
 * - `error.retryAfter`: seconds (a number or a numeric string), an HTTP-date
 *   string (`'Wed, 21 Oct 2015 07:28:00 GMT'`) or a `Date`;
 * - the `retry-after-ms` and `retry-after` headers (names in any case) of
 *   `error.headers` or `error.response.headers`, each a plain object (Node,
 *   axios, got) or a `Headers`-like object with `get()` (fetch).
 *
 * A date in the past gives 0. An error without a hint, a 429 or 503 status
 * included, gives `undefined`: the status alone says nothing about how long to wait.
 * @param error - The error a task failed with.
 * @param now - The wall-clock time to measure HTTP dates from (ms since the
 *   epoch); `Date.now()` when left out.
 * @returns The delay in ms (0 or more), or `undefined` when the error carries no readable hint.
 * @example
 * ```ts
 * readRetryAfter({ status: 429, retryAfter: 2 }) // 2000
 * readRetryAfter({ response: { headers: new Headers({ 'Retry-After': '30' }) } }) // 30000
 * ```
 * @public
 */
export function readRetryAfter(error: unknown, now?: number): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const e = error as { retryAfterMs?: unknown; retryAfter?: unknown; headers?: unknown; response?: unknown }
  const at = now ?? Date.now()
  const ms = milliseconds(e.retryAfterMs)
  if (ms !== undefined) return ms
  const own = secondsOrDate(e.retryAfter, at)
  if (own !== undefined) return own
  const fromHeaders = readHeaders(e.headers, at)
  if (fromHeaders !== undefined) return fromHeaders
  const response = e.response
  if (typeof response === 'object' && response !== null) return readHeaders((response as { headers?: unknown }).headers, at)
  return undefined
}

const NUMERIC = /^\s*\d+(?:\.\d+)?\s*$/

/** A count of milliseconds: a non-negative finite number or a numeric string. */
function milliseconds(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined
  if (typeof value === 'string' && NUMERIC.test(value)) return Number(value)
  return undefined
}

/** `Retry-After`'s two forms: delay-seconds or an HTTP-date (a `Date` too). */
function secondsOrDate(value: unknown, now: number): number | undefined {
  if (value instanceof Date) {
    const t = value.getTime()
    return Number.isNaN(t) ? undefined : Math.max(0, t - now)
  }
  const seconds = milliseconds(value)
  if (seconds !== undefined) return seconds * 1000
  if (typeof value !== 'string' || value.trim() === '') return undefined
  const t = Date.parse(value)
  return Number.isNaN(t) ? undefined : Math.max(0, t - now)
}

function readHeaders(headers: unknown, now: number): number | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined
  const ms = milliseconds(header(headers, 'retry-after-ms'))
  if (ms !== undefined) return ms
  return secondsOrDate(header(headers, 'retry-after'), now)
}

/** One header's value from a `Headers`-like object or a plain record, whatever the case of its name. */
function header(headers: object, name: string): unknown {
  const get = (headers as { get?: unknown }).get
  let value: unknown
  if (typeof get === 'function') {
    value = (get as (name: string) => unknown).call(headers, name)
  } else {
    const record = headers as Record<string, unknown>
    value = record[name]
    if (value === undefined) {
      for (const k of Object.keys(record)) {
        if (k.toLowerCase() === name) {
          value = record[k]
          break
        }
      }
    }
  }
  // Node's IncomingHttpHeaders may hold a list; the first value is the one sent first.
  if (Array.isArray(value)) value = value[0]
  return value === null ? undefined : value
}
