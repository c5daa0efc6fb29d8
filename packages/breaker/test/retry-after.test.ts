import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { readRetryAfter } from '../src/index.js'

const NOW = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')
/** The longest delay readRetryAfter gives (24 h), as documented. */
const CAP = 86_400_000

describe('readRetryAfter', () => {
  it('reads retryAfter in seconds, as a number or a numeric string', () => {
    expect(readRetryAfter({ status: 429, retryAfter: 2 })).toBe(2000)
    expect(readRetryAfter({ retryAfter: '30' })).toBe(30_000)
    expect(readRetryAfter({ retryAfter: ' 1.5 ' })).toBe(1500)
    expect(readRetryAfter({ retryAfter: 0 })).toBe(0)
  })

  it('reads retryAfter as an HTTP-date or a Date, measured from now, and gives 0 for a date in the past', () => {
    expect(readRetryAfter({ retryAfter: 'Wed, 21 Oct 2015 07:28:05 GMT' }, NOW)).toBe(5000)
    expect(readRetryAfter({ retryAfter: new Date(NOW + 7000) }, NOW)).toBe(7000)
    expect(readRetryAfter({ retryAfter: 'Wed, 21 Oct 2015 07:27:00 GMT' }, NOW)).toBe(0)
  })

  it('measures HTTP dates from Date.now() when no now is given', () => {
    const ms = readRetryAfter({ retryAfter: new Date(Date.now() + 60_000) })!
    expect(ms).toBeGreaterThan(59_000)
    expect(ms).toBeLessThanOrEqual(60_000)
  })

  it('reads retryAfterMs in milliseconds first', () => {
    expect(readRetryAfter({ retryAfterMs: 250, retryAfter: 9 })).toBe(250)
    expect(readRetryAfter({ retryAfterMs: '1200' })).toBe(1200)
  })

  it('reads the retry-after header of error.headers, whatever the case of its name', () => {
    expect(readRetryAfter({ headers: { 'retry-after': '3' } })).toBe(3000)
    expect(readRetryAfter({ headers: { 'Retry-After': '4' } })).toBe(4000)
    expect(readRetryAfter({ headers: { 'retry-after': ['5', '9'] } })).toBe(5000)
    expect(readRetryAfter({ headers: { 'retry-after': 'Wed, 21 Oct 2015 07:28:10 GMT' } }, NOW)).toBe(10_000)
  })

  it('prefers a retry-after-ms header to retry-after', () => {
    expect(readRetryAfter({ headers: { 'retry-after-ms': '450', 'retry-after': '1' } })).toBe(450)
  })

  it('reads Headers-like objects with get(), on the error or on error.response (fetch, axios, got)', () => {
    expect(readRetryAfter({ headers: new Headers({ 'Retry-After': '6' }) })).toBe(6000)
    expect(readRetryAfter({ status: 429, response: { headers: new Headers({ 'retry-after': '7' }) } })).toBe(7000)
    expect(readRetryAfter({ response: { status: 429, headers: { 'retry-after': '8' } } })).toBe(8000)
    const axiosLike = { get: (name: string) => (name.toLowerCase() === 'retry-after' ? '2' : undefined) }
    expect(readRetryAfter({ response: { headers: axiosLike } })).toBe(2000)
  })

  it('gives undefined for a 429 or 503 without a hint, and for values it cannot read', () => {
    expect(readRetryAfter({ status: 429 })).toBeUndefined()
    expect(readRetryAfter({ statusCode: 503, headers: {} })).toBeUndefined()
    expect(readRetryAfter({ status: 429, headers: new Headers() })).toBeUndefined()
    expect(readRetryAfter({ retryAfter: 'soon' })).toBeUndefined()
    expect(readRetryAfter({ retryAfter: -1 })).toBeUndefined()
    expect(readRetryAfter({ retryAfter: Number.NaN })).toBeUndefined()
    expect(readRetryAfter({ retryAfter: new Date(Number.NaN) })).toBeUndefined()
    expect(readRetryAfter({ retryAfter: '' })).toBeUndefined()
    expect(readRetryAfter(new Error('boom'))).toBeUndefined()
    expect(readRetryAfter(undefined)).toBeUndefined()
    expect(readRetryAfter('429')).toBeUndefined()
    expect(readRetryAfter(null)).toBeUndefined()
  })

  it('reads hints carried by Error instances', () => {
    const error = Object.assign(new Error('429 Too Many Requests'), { status: 429, retryAfter: 2 })
    expect(readRetryAfter(error)).toBe(2000)
  })

  it.each([
    ['-1'],
    ['-5'],
    [' -1 '],
    ['-0.5'],
    ['12abc'],
    ['1e3'],
    ['0x10'],
    ['+5'],
    ['.5'],
    ['5.'],
    [' '],
    ['Infinity'],
    ['-Infinity'],
    ['NaN'],
    ['2015-10-21T07:28:05Z'],
    ['Wed Oct 21 2015 07:28:05 GMT+0000 (Coordinated Universal Time)'],
    ['Nov 12'],
    ['Wed, 31 Feb 2015 07:28:05 GMT'],
    ['Wed, 21 Oct 2015 24:00:00 GMT'],
    ['Wed, 21 Oct 2015 07:28:05 PST'],
  ])('gives undefined for the string %j, as retryAfter, retryAfterMs or a header: neither delay-seconds nor an HTTP-date', (value) => {
    expect(readRetryAfter({ retryAfter: value }, NOW)).toBeUndefined()
    expect(readRetryAfter({ retryAfterMs: value }, NOW)).toBeUndefined()
    expect(readRetryAfter({ headers: { 'retry-after': value } }, NOW)).toBeUndefined()
    expect(readRetryAfter({ headers: new Headers({ 'retry-after-ms': value }) }, NOW)).toBeUndefined()
  })

  it.each([[-1], [-5], [-0.001], [Number.NaN], [Infinity], [-Infinity]])('gives undefined for the number %d as retryAfter or retryAfterMs', (value) => {
    expect(readRetryAfter({ retryAfter: value }, NOW)).toBeUndefined()
    expect(readRetryAfter({ retryAfterMs: value }, NOW)).toBeUndefined()
    expect(readRetryAfter({ headers: { 'retry-after': value } }, NOW)).toBeUndefined()
  })

  it('falls through an invalid retryAfterMs or retryAfter to the next place a hint may be', () => {
    expect(readRetryAfter({ retryAfterMs: '-1', retryAfter: 3 })).toBe(3000)
    expect(readRetryAfter({ retryAfter: '-5', headers: { 'retry-after': '4' } })).toBe(4000)
  })

  it('reads -0 as 0, not as -0', () => {
    expect(readRetryAfter({ retryAfter: -0 })).toBe(0)
    expect(readRetryAfter({ retryAfterMs: -0 })).toBe(0)
  })

  it('reads the three HTTP-date forms of RFC 9110: IMF-fixdate, rfc850-date and asctime-date', () => {
    expect(readRetryAfter({ retryAfter: 'Wed, 21 Oct 2015 07:28:05 GMT' }, NOW)).toBe(5000)
    expect(readRetryAfter({ retryAfter: 'Wednesday, 21-Oct-15 07:28:06 GMT' }, NOW)).toBe(6000)
    expect(readRetryAfter({ retryAfter: 'Wed Oct 21 07:28:07 2015' }, NOW)).toBe(7000)
    expect(readRetryAfter({ retryAfter: 'Wed Oct  1 07:28:07 2015' }, NOW)).toBe(0)
    // Case and runs of spaces do not matter; leading and trailing blanks are trimmed.
    expect(readRetryAfter({ headers: { 'retry-after': '  wed, 21  OCT 2015 07:28:08 gmt ' } }, NOW)).toBe(8000)
  })

  it('reads a two-digit rfc850 year more than 50 years ahead as the last such year in the past', () => {
    // From 2015: '65' is 2065 (50 years ahead), '66' is 1966.
    expect(readRetryAfter({ retryAfter: 'Sunday, 21-Oct-65 07:28:00 GMT' }, NOW)).toBe(CAP)
    expect(readRetryAfter({ retryAfter: 'Friday, 21-Oct-66 07:28:00 GMT' }, NOW)).toBe(0)
  })

  it('caps huge delays at 24 hours (86,400,000 ms): seconds, milliseconds, a 400-digit string, a far date', () => {
    const digits = '9'.repeat(400)
    expect(readRetryAfter({ retryAfter: digits })).toBe(CAP)
    expect(readRetryAfter({ retryAfterMs: digits })).toBe(CAP)
    expect(readRetryAfter({ headers: { 'retry-after': digits } })).toBe(CAP)
    expect(readRetryAfter({ retryAfter: 1e300 })).toBe(CAP)
    expect(readRetryAfter({ retryAfterMs: Number.MAX_VALUE })).toBe(CAP)
    expect(readRetryAfter({ retryAfter: 86_401 })).toBe(CAP)
    expect(readRetryAfter({ retryAfter: 86_400 })).toBe(CAP)
    expect(readRetryAfter({ retryAfter: 86_399 })).toBe(CAP - 1000)
    expect(readRetryAfter({ retryAfter: 'Fri, 31 Dec 9999 23:59:59 GMT' }, NOW)).toBe(CAP)
    expect(readRetryAfter({ retryAfter: new Date(8.64e15) }, NOW)).toBe(CAP)
  })

  it('gives undefined when now is NaN and the hint is a date', () => {
    expect(readRetryAfter({ retryAfter: 'Wed, 21 Oct 2015 07:28:05 GMT' }, Number.NaN)).toBeUndefined()
    expect(readRetryAfter({ retryAfter: new Date(NOW) }, Number.NaN)).toBeUndefined()
  })

  it('gives undefined or a finite delay from 0 to 24 h for any string or number, wherever it sits', () => {
    const value = fc.oneof(
      fc.string(),
      fc.stringMatching(/^\s*-?\d{1,400}(\.\d{1,5})?\s*$/),
      fc.double(),
      fc.integer(),
      fc.date({ noInvalidDate: false }).map((d) => (Number.isNaN(d.getTime()) ? 'not a date' : d.toUTCString())),
      fc.constantFrom('-1', '-5', '1e3', '0x10', ' ', 'Infinity', 'NaN', '12'),
    )
    const place = fc.constantFrom(
      (v: unknown) => ({ retryAfter: v }),
      (v: unknown) => ({ retryAfterMs: v }),
      (v: unknown) => ({ headers: { 'Retry-After': v } }),
      (v: unknown) => ({ response: { headers: { 'retry-after-ms': [v] } } }),
    )
    fc.assert(
      fc.property(value, place, fc.option(fc.double(), { nil: undefined }), (v, at, now) => {
        const ms = readRetryAfter(at(v), now)
        if (ms === undefined) return
        expect(Number.isFinite(ms)).toBe(true)
        expect(ms).toBeGreaterThanOrEqual(0)
        expect(ms).toBeLessThanOrEqual(CAP)
        expect(Object.is(ms, -0)).toBe(false)
      }),
      { numRuns: 2000 },
    )
  })
})
