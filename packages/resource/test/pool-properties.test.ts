import { createVirtualClock } from '@poolkit/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createResourcePool, LeaseReleasedError } from '../src/index.js'
import type { ResourceLease } from '../src/index.js'
import { sleep } from './helpers.js'

// Random runs of acquires (some with their own timeout, some aborted later),
// releases, destroys, broken resources, failing creates, clear() and the
// passing of time, against pools of random settings. After every step the
// pool's figures must agree with what the test holds, and nothing may be lent
// twice; at the end every lease is released exactly once and drain() leaves
// nothing behind.

interface Res {
  readonly id: number
  healthy: boolean
}

type Command =
  | { readonly kind: 'acquire'; readonly timeoutMs: number | undefined; readonly abortable: boolean }
  | { readonly kind: 'release'; readonly pick: number }
  | { readonly kind: 'destroy'; readonly pick: number }
  | { readonly kind: 'break'; readonly pick: number }
  | { readonly kind: 'abort'; readonly pick: number }
  | { readonly kind: 'failCreates'; readonly on: boolean }
  | { readonly kind: 'clear' }
  | { readonly kind: 'advance'; readonly ms: number }

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('acquire' as const), timeoutMs: fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }), abortable: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('destroy' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('break' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('abort' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('failCreates' as const), on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 400 }) }) },
)

const settings = fc
  .record({
    min: fc.integer({ min: 0, max: 3 }),
    extra: fc.integer({ min: 0, max: 3 }),
    idleTimeoutMs: fc.oneof(fc.constant(Infinity), fc.integer({ min: 0, max: 500 })),
    acquireTimeoutMs: fc.oneof(fc.constant(Infinity), fc.integer({ min: 0, max: 500 })),
    maxUses: fc.oneof(fc.constant(Infinity), fc.integer({ min: 1, max: 4 })),
    maxLifetimeMs: fc.oneof(fc.constant(Infinity), fc.integer({ min: 1, max: 800 })),
    validate: fc.constantFrom('none', 'sync', 'async'),
    validateOnReturn: fc.boolean(),
    createMs: fc.integer({ min: 0, max: 50 }),
  })
  .map((s) => ({ ...s, max: Math.max(1, s.min + s.extra), validateOnReturn: s.validate !== 'none' && s.validateOnReturn }))

describe('resource pool properties', () => {
  it('never lends more than max or one resource twice, keeps its figures consistent, and every lease ends exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(settings, fc.array(command, { minLength: 5, maxLength: 80, size: 'max' }), async (s, commands) => {
        const clock = createVirtualClock()
        let nextId = 1
        let failCreates = false
        const live = new Set<Res>()
        const gone = new Set<Res>()
        const pool = createResourcePool<Res>({
          create: async () => {
            const failing = failCreates
            if (s.createMs > 0) await sleep(clock, s.createMs)
            if (failing) throw new Error('create failed')
            const res = { id: nextId++, healthy: true }
            live.add(res)
            return res
          },
          destroy: (res) => {
            if (!live.delete(res)) throw new Error(`resource ${res.id} destroyed twice or never created`)
            gone.add(res)
          },
          validate: s.validate === 'none' ? undefined : s.validate === 'sync' ? (res) => res.healthy : (res) => sleep(clock, 5).then(() => res.healthy),
          validateOnReturn: s.validateOnReturn,
          min: s.min,
          max: s.max,
          idleTimeoutMs: s.idleTimeoutMs,
          acquireTimeoutMs: s.acquireTimeoutMs,
          maxUses: s.maxUses,
          maxLifetimeMs: s.maxLifetimeMs,
          createBackoff: { initialMs: 10, maxMs: 100 },
          clock,
        })

        const held: ResourceLease<Res>[] = []
        const everLent: ResourceLease<Res>[] = []
        const ended = new Set<ResourceLease<Res>>()
        const aborters: AbortController[] = []
        let settledAcquires = 0
        let acquiresMade = 0
        let lentTwice: string | undefined

        const check = async (): Promise<void> => {
          await clock.flush()
          const st = pool.stats()
          expect(st.size).toBeLessThanOrEqual(s.max)
          expect(st.borrowed + st.available).toBeLessThanOrEqual(s.max)
          expect(st.size).toBe(st.available + st.borrowed + st.creating + st.validating)
          expect(st.borrowed).toBe(held.length)
          expect(live.size).toBe(st.available + st.borrowed + st.validating)
          expect(st.acquires).toBe(acquiresMade)
          expect(st.acquires).toBe(st.hits + st.misses + st.rejected + st.pending)
          expect(st.acquires - st.pending).toBe(settledAcquires)
          expect(lentTwice).toBeUndefined()
          for (const lease of held) expect(gone.has(lease.resource)).toBe(false)
        }

        const endLease = (lease: ResourceLease<Res>, how: 'release' | 'destroy'): void => {
          expect(ended.has(lease)).toBe(false)
          lease[how]()
          ended.add(lease)
          held.splice(held.indexOf(lease), 1)
        }

        for (const c of commands) {
          switch (c.kind) {
            case 'acquire': {
              const controller = c.abortable ? new AbortController() : undefined
              if (controller !== undefined) aborters.push(controller)
              acquiresMade++
              pool.acquire({ timeoutMs: c.timeoutMs, signal: controller?.signal }).then(
                (lease) => {
                  settledAcquires++
                  if (held.some((h) => h.resource === lease.resource)) lentTwice = `resource ${lease.resource.id} lent to two holders`
                  held.push(lease)
                  everLent.push(lease)
                },
                () => {
                  settledAcquires++
                },
              )
              break
            }
            case 'release':
            case 'destroy':
              if (held.length > 0) endLease(held[c.pick % held.length]!, c.kind)
              break
            case 'break':
              if (held.length > 0) held[c.pick % held.length]!.resource.healthy = false
              break
            case 'abort':
              if (aborters.length > 0) aborters[c.pick % aborters.length]!.abort(new Error('aborted'))
              break
            case 'failCreates':
              failCreates = c.on
              break
            case 'clear':
              void pool.clear()
              break
            case 'advance':
              await clock.advance(c.ms)
              break
          }
          await check()
        }

        // Creates work again, every lease still out ends, and nothing waits for ever.
        failCreates = false
        for (const controller of aborters) controller.abort(new Error('aborted'))
        let rounds = 0
        while (pool.stats().pending > 0 || held.length > 0) {
          for (const lease of [...held]) endLease(lease, 'release')
          await clock.advance(1000)
          expect(++rounds).toBeLessThan(100)
        }
        await check()
        const drained = pool.drain()
        await clock.runAll()
        await drained

        // Every lease ended exactly once; ending one again is refused.
        expect(ended.size).toBe(everLent.length)
        for (const lease of everLent) {
          expect(lease.released).toBe(true)
          expect(() => lease.release()).toThrow(LeaseReleasedError)
        }
        const st = pool.stats()
        expect(st.hits + st.misses).toBe(everLent.length)
        expect(st).toMatchObject({ state: 'drained', size: 0, borrowed: 0, pending: 0 })
        expect(live.size).toBe(0)
        expect(st.destroyed).toBe(st.created)
        expect(clock.pending).toBe(0)
      }),
      { numRuns: 150 },
    )
  }, 60_000)
})
