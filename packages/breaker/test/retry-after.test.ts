import { describe, expect, it } from 'vitest'
import { readRetryAfter } from '../src/index.js'

const NOW = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')

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
})
