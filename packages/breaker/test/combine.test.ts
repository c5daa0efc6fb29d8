import { createPool, createVirtualClock, QueueFullError } from '@poolkit/core'
import type { Breaker, BreakerDenial, BreakerRetry } from '@poolkit/core'
import { describe, expect, it } from 'vitest'
import { combine, createBulkhead, createRateLimiter } from '../src/index.js'
import { task } from './task.js'

/** A policy that logs every call as `name.method` and answers as told. */
function spy(name: string, log: string[], answers: { admit?: BreakerDenial; acquire?: BreakerDenial; failure?: BreakerRetry; attach?: boolean; settled?: boolean } = {}): Breaker {
  const policy: Breaker = {
    admit: () => (log.push(`${name}.admit`), answers.admit),
    acquire: () => (log.push(`${name}.acquire`), answers.acquire),
    onSuccess: () => void log.push(`${name}.onSuccess`),
    onFailure: () => (log.push(`${name}.onFailure`), answers.failure),
    onCancel: () => void log.push(`${name}.onCancel`),
  }
  if (answers.settled !== false) policy.onSettled = () => void log.push(`${name}.onSettled`)
  if (answers.attach === true) policy.attach = () => void log.push(`${name}.attach`)
  return policy
}

describe('combine', () => {
  it('admits when every policy admits, and lets the first denial win without asking the policies after it', () => {
    const log: string[] = []
    const open = combine(spy('a', log), spy('b', log))
    expect(open.admit(task())).toBeUndefined()
    expect(log).toEqual(['a.admit', 'b.admit'])
    log.length = 0
    const held: BreakerDenial = { retryAt: 50, hold: true }
    const combined = combine(spy('a', log), spy('b', log, { admit: held }), spy('c', log, { admit: { retryAt: 1 } }))
    expect(combined.admit(task())).toBe(held)
    expect(log).toEqual(['a.admit', 'b.admit'])
  })

  it('settles the task in the policies that admitted it when a later one refuses it, since the pool never will', () => {
    const bulkhead = createBulkhead({ limits: { A: 5 } })
    const refusal: BreakerDenial = { retryAt: 0, error: new Error('no') }
    const combined = combine(bulkhead, { ...spy('x', []), admit: () => refusal })
    expect(combined.admit(task('A'))).toBe(refusal)
    expect(bulkhead.waiting('A')).toBe(0)
  })

  it('asks acquire in order; when one denies, cancels the ones that granted and returns its denial', () => {
    const log: string[] = []
    const denial: BreakerDenial = { retryAt: 100, hold: true }
    const combined = combine(spy('a', log), spy('b', log), spy('c', log, { acquire: denial }), spy('d', log))
    expect(combined.acquire(task())).toBe(denial)
    expect(log).toEqual(['a.acquire', 'b.acquire', 'c.acquire', 'a.onCancel', 'b.onCancel'])
  })

  it('gives a bulkhead permit and a rate-limit token back when a later policy denies the start', () => {
    const clock = createVirtualClock()
    const bulkhead = createBulkhead({ limits: { A: 1 } })
    const limiter = createRateLimiter({ clock, limits: { A: { perSecond: 1 } } })
    const closed: Breaker = { ...spy('closed', []), acquire: () => ({ retryAt: 10, hold: true }) }
    const combined = combine(bulkhead, limiter, closed)
    expect(combined.acquire(task('A'))).toEqual({ retryAt: 10, hold: true })
    expect(bulkhead.running('A')).toBe(0)
    expect(limiter.tokens('A')).toBe(1)
  })

  it('reports success, cancellation and settlement to every policy', () => {
    const log: string[] = []
    const combined = combine(spy('a', log), spy('b', log, { settled: false }), spy('c', log))
    const t = task()
    combined.onSuccess(t, 5)
    combined.onCancel(t)
    combined.onSettled!(t)
    expect(log).toEqual(['a.onSuccess', 'b.onSuccess', 'c.onSuccess', 'a.onCancel', 'b.onCancel', 'c.onCancel', 'a.onSettled', 'c.onSettled'])
  })

  it('reports a failure to every policy and answers with the latest retryAt any of them asked for', () => {
    const log: string[] = []
    const combined = combine(spy('a', log, { failure: { retryAt: 300 } }), spy('b', log), spy('c', log, { failure: { retryAt: 900 } }), spy('d', log, { failure: { retryAt: 200 } }))
    expect(combined.onFailure(task(), new Error('x'), 1)).toEqual({ retryAt: 900 })
    expect(log).toEqual(['a.onFailure', 'b.onFailure', 'c.onFailure', 'd.onFailure'])
    expect(combine(spy('a', []), spy('b', [])).onFailure(task(), new Error('x'), 1)).toBeUndefined()
  })

  it("hands the pool's wake to each policy that has attach", () => {
    const log: string[] = []
    const pool = createPool({ handler: () => 1, breaker: combine(spy('a', log, { attach: true }), spy('b', log), spy('c', log, { attach: true })) })
    expect(log).toEqual(['a.attach', 'c.attach'])
    return pool.close()
  })

  it("passes an admission-time denial's error through to the caller", async () => {
    const clock = createVirtualClock()
    const bulkhead = createBulkhead({ limits: { A: 1 }, queuePerKey: 0 })
    const pool = createPool({ handler: () => new Promise(() => {}), clock, breaker: combine(createRateLimiter({ clock }), bulkhead) })
    void pool.run(undefined, { key: 'A' }).catch(() => {})
    await expect(pool.run(undefined, { key: 'A' })).rejects.toBeInstanceOf(QueueFullError)
    await expect(pool.run(undefined, { key: 'A' })).rejects.toMatchObject({ key: 'A', limit: 0 })
    await pool.destroy()
  })

  it('still reports to every policy when one of them throws, then throws the first error', () => {
    const log: string[] = []
    const boom = new Error('boom')
    const thrower: Breaker = {
      ...spy('t', log),
      onSuccess: () => {
        throw boom
      },
    }
    const combined = combine(spy('a', log), thrower, spy('b', log))
    expect(() => combined.onSuccess(task(), 1)).toThrow(boom)
    expect(log).toEqual(['a.onSuccess', 'b.onSuccess'])
  })

  it('keeps both a bulkhead and a rate limit in a real pool, whichever comes first', async () => {
    for (const order of ['bulkhead-first', 'limiter-first'] as const) {
      const clock = createVirtualClock()
      const bulkhead = createBulkhead({ limits: { A: 2 } })
      const limiter = createRateLimiter({ clock, limits: { A: { perSecond: 20, burst: 5 } } })
      const breaker = order === 'bulkhead-first' ? combine(bulkhead, limiter) : combine(limiter, bulkhead)
      let running = 0
      let peak = 0
      const starts: number[] = []
      const pool = createPool({
        handler: () => {
          starts.push(clock.now())
          peak = Math.max(peak, ++running)
          return new Promise<void>((resolve) =>
            clock.setTimeout(() => {
              running--
              resolve()
            }, 30),
          )
        },
        clock,
        concurrency: 8,
        breaker,
      })
      const all = Array.from({ length: 60 }, () => pool.run(undefined, { key: 'A' }))
      await clock.runAll()
      await Promise.all(all)
      expect(peak).toBe(2)
      for (const s of starts) expect(starts.filter((t) => t >= s && t < s + 1000).length).toBeLessThanOrEqual(5 + 20)
      expect([bulkhead.running('A'), bulkhead.waiting('A')]).toEqual([0, 0])
      await pool.close()
    }
  })

  it('names a policy that is not a Breaker', () => {
    expect(() => combine(createBulkhead(), {} as never)).toThrow(new TypeError('combine() policies[1].admit must be a function, got undefined'))
    expect(() => combine(null as never)).toThrow(new TypeError('combine() policies[0] must be an object, got null'))
  })

  it('admits and starts everything when given no policy', () => {
    const none = combine()
    expect(none.admit(task())).toBeUndefined()
    expect(none.acquire(task())).toBeUndefined()
    expect(none.onFailure(task(), new Error('x'), 1)).toBeUndefined()
  })
})
