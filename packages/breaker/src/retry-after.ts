/** The longest delay {@link readRetryAfter} gives: 24 hours, in ms. */
const MAX_RETRY_AFTER_MS = 86_400_000

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
 * A numeric string is digits with an optional fraction (`'30'`, `' 1.5 '`); an
 * HTTP-date is one of the three forms of RFC 9110 (`'Sun, 06 Nov 1994 08:49:37 GMT'`,
 * `'Sunday, 06-Nov-94 08:49:37 GMT'`, `'Sun Nov  6 08:49:37 1994'`), always GMT.
 * Anything else is no hint (`undefined`), not a delay of 0: a negative number or
 * numeric string (`-1`, `'-5'`), `NaN`, `Infinity`, `'1e3'`, `'0x10'`, a blank
 * string, a date in another format, an invalid `Date`.
 *
 * A date in the past gives 0. A delay longer than 24 hours (86,400,000 ms), a
 * date further away included, gives 24 hours. An error without a hint, a 429 or
 * 503 status included, gives `undefined`: the status alone says nothing about
 * how long to wait.
 * @param error - The error a task failed with.
 * @param now - The wall-clock time to measure HTTP dates from (ms since the
 *   epoch); `Date.now()` when left out.
 * @returns The delay in ms, from 0 to 86,400,000, or `undefined` when the error
 *   carries no readable hint.
 * @example
 * ```ts
 * readRetryAfter({ status: 429, retryAfter: 2 }) // 2000
 * readRetryAfter({ response: { headers: new Headers({ 'Retry-After': '30' }) } }) // 30000
 * readRetryAfter({ retryAfter: '-1' }) // undefined
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

// delay-seconds (RFC 9110 allows digits only; a fraction is read too).
const NUMERIC = /^\s*\d+(?:\.\d+)?\s*$/

/** A delay in ms within [0, MAX_RETRY_AFTER_MS]; undefined for NaN (an unreadable `now`, say). */
function capped(ms: number): number | undefined {
  if (Number.isNaN(ms)) return undefined
  return ms <= 0 ? 0 : ms > MAX_RETRY_AFTER_MS ? MAX_RETRY_AFTER_MS : ms
}

/** A non-negative finite number, or a numeric string (a huge one reads as Infinity): undefined for anything else. */
function amount(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined
  if (typeof value === 'string' && NUMERIC.test(value)) return Number(value)
  return undefined
}

/** A count of milliseconds: a non-negative finite number or a numeric string. */
function milliseconds(value: unknown): number | undefined {
  const ms = amount(value)
  return ms === undefined ? undefined : capped(ms)
}

/** `Retry-After`'s two forms: delay-seconds or an HTTP-date (a `Date` too). */
function secondsOrDate(value: unknown, now: number): number | undefined {
  if (value instanceof Date) {
    const t = value.getTime()
    return Number.isNaN(t) ? undefined : capped(t - now)
  }
  const seconds = amount(value)
  if (seconds !== undefined) return capped(seconds * 1000)
  if (typeof value !== 'string') return undefined
  const t = parseHttpDate(value, now)
  return t === undefined ? undefined : capped(t - now)
}

const WEEKDAY = '(?:mon|tue|wed|thu|fri|sat|sun)'
const MONTH = '(?<month>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)'
const DAY = '(?<day>\\d{1,2})'
const TIME = '(?<hh>\\d{2}):(?<mm>\\d{2}):(?<ss>\\d{2})'
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']
// RFC 9110 section 5.6.7, read case-insensitively and with any run of spaces between parts:
// IMF-fixdate                  Sun, 06 Nov 1994 08:49:37 GMT
// rfc850-date (obsolete)       Sunday, 06-Nov-94 08:49:37 GMT
// asctime-date (obsolete)      Sun Nov  6 08:49:37 1994
const HTTP_DATES = [
  new RegExp(`^${WEEKDAY}, +${DAY} +${MONTH} +(?<year>\\d{4}) +${TIME} +GMT$`, 'i'),
  new RegExp(`^(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday), +${DAY}-${MONTH}-(?<yy>\\d{2}) +${TIME} +GMT$`, 'i'),
  new RegExp(`^${WEEKDAY} +${MONTH} +${DAY} +${TIME} +(?<year>\\d{4})$`, 'i'),
]

/**
 * An HTTP-date as ms since the epoch, or undefined for anything else. Not
 * `Date.parse`, which reads `'-1'`, `'12'` or `'1e3'` as years.
 */
function parseHttpDate(text: string, now: number): number | undefined {
  const s = text.trim()
  let parts: Record<string, string> | undefined
  for (const form of HTTP_DATES) {
    parts = form.exec(s)?.groups
    if (parts !== undefined) break
  }
  if (parts === undefined) return undefined
  const { day, month, year, yy, hh, mm, ss } = parts as Record<string, string | undefined>
  let fullYear = Number(year)
  if (yy !== undefined) {
    // A two-digit year more than 50 years ahead is the last such year in the past (RFC 9110).
    const current = new Date(now).getUTCFullYear()
    fullYear = Math.floor(current / 100) * 100 + Number(yy)
    if (fullYear > current + 50) fullYear -= 100
  }
  const monthIndex = MONTHS.indexOf(month!.toLowerCase())
  // setUTCFullYear, not Date.UTC, which would take year 12 for 1912.
  const date = new Date(0)
  date.setUTCFullYear(fullYear, monthIndex, Number(day))
  // 31 Feb, hour 24 and minute 60 are no dates; second 60 is a leap second.
  if (Number.isNaN(date.getTime()) || date.getUTCDate() !== Number(day) || date.getUTCMonth() !== monthIndex) return undefined
  if (Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 60) return undefined
  return date.getTime() + ((Number(hh) * 60 + Number(mm)) * 60 + Number(ss)) * 1000
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
