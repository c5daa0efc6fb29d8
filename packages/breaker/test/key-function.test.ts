import { createPool, createVirtualClock } from '@poolkit/core'
import type { KeyFunction, TaskInfo, TaskQueue } from '@poolkit/core'
import { describe, expect, it } from 'vitest'
import { combine, createBulkhead, createCircuitBreaker, createRateLimiter } from '../src/index.js'
import { task } from './task.js'

// Each keyed policy takes its own key function (issue 23): one pool fair by
// tenant (the task's key) and limited by provider (a label), with no adapter.

const byProvider: KeyFunction = (t) => t.labels?.provider

/** A task of `tenant` (its key) for `provider` (a label), as the pool hands it to a policy. */
const call = (tenant: string, provider: string): TaskInfo => ({ ...task(tenant), labels: { provider } })

/** A queue fair by task key: round-robin over the tenants with tasks queued, FIFO within each (a stand-in for @poolkit/queue's fair queue). */
class TenantRoundRobin implements TaskQueue {
  private readonly lines = new Map<string | undefined, TaskInfo[]>()
  size = 0
  push(t: TaskInfo): void {
    const line = this.lines.get(t.key)
    // A tenant with tasks waiting keeps its turn; a new one joins the round at the back.
    if (line === undefined) this.lines.set(t.key, [t])
    else line.push(t)
    this.size++
  }
  unshift(t: TaskInfo): void {
    const line = this.lines.get(t.key)
    if (line === undefined) this.lines.set(t.key, [t])
    else line.unshift(t)
    this.size++
  }
  shift(): TaskInfo | undefined {
    for (const [key, line] of this.lines) {
      const t = line.shift()!
      this.lines.delete(key)
      if (line.length > 0) this.lines.set(key, line) // to the back of the round
      this.size--
      return t
    }
    return undefined
  }
  remove(t: TaskInfo): boolean {
    const line = this.lines.get(t.key)
    const i = line?.indexOf(t) ?? -1
    if (i < 0) return false
    line!.splice(i, 1)
    if (line!.length === 0) this.lines.delete(t.key)
    this.size--
    return true
  }
  clear(): TaskInfo[] {
    const all = [...this.lines.values()].flat()
    this.lines.clear()
    this.size = 0
    return all
  }
}

describe('key functions: fair by tenant, limited by provider', () => {
  it('a pool fair by tenant (task key) whose limiter and bulkhead group by task.labels.provider: openai is paced and capped across both tenants, anthropic does not wait, every task completes', async () => {
    const clock = createVirtualClock()
    const bulkhead = createBulkhead({ key: byProvider, limits: { openai: 2 } })
    const limiter = createRateLimiter({ clock, key: byProvider, limits: { openai: { perSecond: 10, burst: 1 } } })
    const starts: { tenant: string; provider: string; at: number }[] = []
    let running = 0
    let mostRunning = 0
    const pool = createPool({
      handler: async (input: { tenant: string; provider: string }) => {
        starts.push({ ...input, at: clock.now() })
        if (input.provider === 'openai') mostRunning = Math.max(mostRunning, ++running)
        await new Promise((resolve) => clock.setTimeout(() => resolve(undefined), 250))
        if (input.provider === 'openai') running--
        return input.tenant
      },
      clock,
      concurrency: 8,
      queue: new TenantRoundRobin(),
      breaker: combine(bulkhead, limiter),
    })
    const run = (tenant: string, provider: string) => pool.run({ tenant, provider }, { key: tenant, labels: { provider } })
    const results = [...Array.from({ length: 8 }, () => run('noisy', 'openai')), run('quiet', 'openai'), run('quiet', 'openai'), run('noisy', 'anthropic')]
    await clock.advance(10)
    // Counted by provider, not by tenant.
    expect(bulkhead.running('openai')).toBe(1)
    expect(bulkhead.running('noisy')).toBe(0)
    expect(limiter.tokens('openai')).toBeLessThan(1)
    for (let i = 0; i < 40; i++) await clock.advance(50)
    expect(await Promise.all(results)).toHaveLength(11)

    const openai = starts.filter((s) => s.provider === 'openai')
    expect(openai).toHaveLength(10)
    // Paced: at least 100 ms between two starts, whoever the tenant; capped: two at once.
    for (let i = 1; i < openai.length; i++) expect(openai[i]!.at - openai[i - 1]!.at).toBeGreaterThanOrEqual(100)
    expect(mostRunning).toBe(2)
    // Both tenants' calls count against the one openai limit; none is lost.
    expect(openai.filter((s) => s.tenant === 'quiet')).toHaveLength(2)
    expect(bulkhead.running('openai') + bulkhead.waiting('openai')).toBe(0)
    // Another provider is not held behind openai's limits.
    expect(starts.find((s) => s.provider === 'anthropic')!.at).toBe(0)
    await pool.close()
    expect(clock.pending).toBe(0)
  })

  it('the limiter keeps the key a start was granted under: a 429 pauses the provider, not the tenant, even if key() would now answer otherwise', () => {
    const clock = createVirtualClock({ now: 1000 })
    let provider = 'openai'
    const limiter = createRateLimiter({ clock, key: (t) => (t.labels === undefined ? undefined : provider), limits: { openai: { perSecond: 1 } } })
    const t = call('tenant-1', 'openai')
    expect(limiter.acquire(t)).toBeUndefined()
    provider = 'anthropic'
    const tooMany = Object.assign(new Error('429'), { status: 429, retryAfter: 2 })
    expect(limiter.onFailure(t, tooMany, 5)).toEqual({ retryAt: 3000 })
    expect(limiter.pausedUntil('openai')).toBe(3000)
    expect(limiter.pausedUntil('anthropic')).toBe(-1)
    expect(limiter.pausedUntil('tenant-1')).toBe(-1)
  })

  it('the limiter refunds a start a later policy refused to the key that paid for it', () => {
    const clock = createVirtualClock()
    const limiter = createRateLimiter({ clock, key: byProvider, limits: { openai: { perSecond: 1, burst: 1 } } })
    const t = call('tenant-1', 'openai')
    limiter.acquire(t)
    expect(limiter.tokens('openai')).toBe(0)
    limiter.onCancel(t)
    expect(limiter.tokens('openai')).toBe(1)
  })

  it('the bulkhead gives a permit and a place in line back to the key they were taken under, and wakes the held tasks by their own keys', () => {
    let provider = 'openai'
    const bulkhead = createBulkhead({ key: () => provider, limits: { openai: 1 } })
    const woken: (string | undefined)[] = []
    bulkhead.attach!((k) => void woken.push(k))
    const first = task('tenant-1')
    const second = task('tenant-2')
    expect(bulkhead.admit(first)).toBeUndefined()
    expect(bulkhead.admit(second)).toBeUndefined()
    expect(bulkhead.acquire(first)).toBeUndefined()
    expect(bulkhead.acquire(second)).toEqual({ retryAt: Infinity, hold: true })
    expect(bulkhead.waiting('openai')).toBe(1)
    provider = 'anthropic' // a key function that changes its answer strands nothing
    bulkhead.onSuccess(first, 1)
    expect(woken).toEqual(['tenant-2'])
    bulkhead.onSettled!(first)
    expect(bulkhead.running('openai')).toBe(0)
    expect(bulkhead.waiting('openai')).toBe(1)
    bulkhead.onSettled!(second)
    expect(bulkhead.waiting('openai')).toBe(0)
    expect(bulkhead.running('anthropic')).toBe(0)
  })

  it('the bulkhead refuses past queuePerKey with a QueueFullError naming the key the function gave', () => {
    const bulkhead = createBulkhead({ key: byProvider, limits: { openai: 0 }, queuePerKey: 1 })
    expect(bulkhead.admit(call('t1', 'openai'))).toBeUndefined()
    expect(bulkhead.admit(call('t2', 'openai'))).toMatchObject({ error: { name: 'QueueFullError', message: 'The queue for key "openai" is full (1 tasks waiting)' } })
  })
})

describe('key functions: options', () => {
  const message = (got: string) => `options.key must be a function of the task that returns its key, like (task) => task.labels?.provider, got ${got}`
  it.each([
    ['createCircuitBreaker', (key: unknown) => createCircuitBreaker({ key: key as KeyFunction })],
    ['createBulkhead', (key: unknown) => createBulkhead({ key: key as KeyFunction })],
    ['createRateLimiter', (key: unknown) => createRateLimiter({ key: key as KeyFunction })],
  ])('%s refuses a key that is not a function with a TypeError naming options.key and the value', (_name, create) => {
    expect(() => create('provider')).toThrow(TypeError)
    expect(() => create('provider')).toThrow(message('"provider"'))
    expect(() => create(null)).toThrow(message('null'))
    expect(() => create(undefined)).not.toThrow()
  })
})
