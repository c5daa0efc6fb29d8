import { createVirtualClock } from '@poolkit/core'
import { describe, expect, it } from 'vitest'
import { createKeyRing, createResourcePool } from '../src/index.js'
import type { ResourcePoolOptions } from '../src/index.js'
import { keyPath } from '../src/internal/validate.js'

const base: ResourcePoolOptions<object> = { create: () => ({}), destroy: () => {} }
const make = (extra: Record<string, unknown>) => () => createResourcePool({ ...base, ...extra } as ResourcePoolOptions<object>)

describe('createResourcePool options', () => {
  it.each([
    [{ max: 0 }, 'options.max must be a positive integer, got 0'],
    [{ max: 1.5 }, 'options.max must be a positive integer, got 1.5'],
    [{ max: '4' }, 'options.max must be a positive integer, got "4"'],
    [{ min: -1 }, 'options.min must be a non-negative integer, got -1'],
    [{ idleTimeoutMs: -1 }, 'options.idleTimeoutMs must be a non-negative number of milliseconds or Infinity, got -1'],
    [{ acquireTimeoutMs: Number.NaN }, 'options.acquireTimeoutMs must be a non-negative number of milliseconds or Infinity, got NaN'],
    [{ maxUses: 0 }, 'options.maxUses must be a positive integer or Infinity, got 0'],
    [{ maxLifetimeMs: 0 }, 'options.maxLifetimeMs must be a positive number of milliseconds or Infinity, got 0'],
    [{ maxWaiters: -2 }, 'options.maxWaiters must be a non-negative integer or Infinity, got -2'],
    [{ validate: true }, 'options.validate must be a function, got true'],
    [{ validateOnReturn: 'yes' }, 'options.validateOnReturn must be a boolean, got "yes"'],
    [{ name: '' }, 'options.name must be a non-empty string, got ""'],
    [{ clock: { now: () => 0 } }, 'options.clock.setTimeout must be a function, got undefined'],
    [{ createBackoff: 5 }, 'options.createBackoff must be an object, got 5'],
    [{ createBackoff: { factor: 0.5 } }, 'options.createBackoff.factor must be a finite number of at least 1, got 0.5'],
    [{ createBackoff: { initialMs: Infinity } }, 'options.createBackoff.initialMs must be a non-negative finite number of milliseconds, got Infinity'],
    [{ create: undefined }, 'options.create must be a function, got undefined'],
    [{ destroy: null }, 'options.destroy must be a function, got null'],
  ])('throws a TypeError naming the option and the value: %o', (extra, message) => {
    expect(make(extra)).toThrow(new TypeError(message))
  })

  it('throws a RangeError for values that conflict', () => {
    expect(make({ min: 5, max: 2 })).toThrow(new RangeError('options.min (5) must not be greater than options.max (2)'))
    expect(make({ createBackoff: { initialMs: 500, maxMs: 100 } })).toThrow(new RangeError('options.createBackoff.maxMs (100) must not be less than options.createBackoff.initialMs (500)'))
    expect(make({ validateOnReturn: true })).toThrow(RangeError)
  })

  it("refuses generic-pool's and tarn's option names, naming ours, instead of ignoring them", () => {
    expect(make({ idleTimeoutMillis: 1000 })).toThrow(new TypeError('options.idleTimeoutMillis is not an option here; use options.idleTimeoutMs'))
    expect(make({ testOnBorrow: true })).toThrow(/use options\.validate$/)
    expect(make({ maxWaitingClients: 10 })).toThrow(/use options\.maxWaiters$/)
  })

  it('accepts other extra keys, so a factory object can be spread in', () => {
    const factoryObject = { create: () => ({}), destroy: () => {}, description: 'clients' }
    expect(createResourcePool({ ...factoryObject, max: 2 }).stats().name).toBe('default')
  })

  it('throws when options is not an object', () => {
    expect(() => createResourcePool(undefined as unknown as ResourcePoolOptions<object>)).toThrow(new TypeError('options must be an object with create and destroy, got undefined'))
  })

  it('checks the options of each acquire', async () => {
    const pool = createResourcePool({ ...base, clock: createVirtualClock() })
    expect(() => pool.acquire({ timeoutMs: -5 })).toThrow(new TypeError('options.timeoutMs must be a non-negative number of milliseconds or Infinity, got -5'))
    expect(() => pool.acquire({ signal: 'no' as unknown as AbortSignal })).toThrow(new TypeError('options.signal must be an AbortSignal, got "no"'))
    expect(() => pool.acquire(7 as never)).toThrow(new TypeError('options must be an object, got 7'))
    expect(pool.stats().acquires).toBe(0)
  })
})

describe('createKeyRing options', () => {
  it('needs a non-empty array of distinct keys', () => {
    expect(() => createKeyRing([])).toThrow(new TypeError('keys must be a non-empty array, got an array (empty)'))
    expect(() => createKeyRing('abc' as unknown as string[])).toThrow(new TypeError('keys must be a non-empty array, got "abc"'))
    expect(() => createKeyRing(['a', 'b', 'a'])).toThrow(new RangeError('keys[2] is the same key as keys[0]: each key may be in the ring once'))
  })

  it.each([
    [{ cooldownMs: -1 }, 'options.cooldownMs must be a non-negative finite number of milliseconds, got -1'],
    [{ concurrencyPerKey: 0 }, 'options.concurrencyPerKey must be a positive integer or Infinity, got 0'],
    [{ acquireTimeoutMs: -1 }, 'options.acquireTimeoutMs must be a non-negative number of milliseconds or Infinity, got -1'],
    [{ cooldownOn: 429 }, 'options.cooldownOn must be a function, got 429'],
    [{ label: 'x' }, 'options.label must be a function, got "x"'],
    [{ name: 3 }, 'options.name must be a non-empty string, got 3'],
  ])('throws a TypeError naming the option and the value: %o', (options, message) => {
    expect(() => createKeyRing(['k'], options as never)).toThrow(new TypeError(message))
  })

  it('checks that label returns a string', () => {
    expect(() => createKeyRing(['k'], { label: () => 1 as unknown as string })).toThrow(new TypeError('options.label must return a string, got 1 for keys[0]'))
  })
})

describe('keys named like Object.prototype members (__proto__, constructor, toString)', () => {
  const HOSTILE = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']
  /** An object with `key` as an own enumerable property, the way JSON.parse or defineProperty make it. */
  const own = (key: string, value: unknown, via: 'json' | 'define'): Record<string, unknown> => {
    if (via === 'json') return JSON.parse(`{${JSON.stringify(key)}: ${JSON.stringify(value)}}`) as Record<string, unknown>
    const o: Record<string, unknown> = {}
    Object.defineProperty(o, key, { value, enumerable: true, configurable: true, writable: true })
    return o
  }

  it.each(HOSTILE.flatMap((key) => [[key, 'json'] as const, [key, 'define'] as const]))(
    'createResourcePool accepts an own key %s (via %s) as any other extra key, instead of refusing it as a foreign option',
    (key, via) => {
      const options = { ...own(key, 5, via), ...base }
      expect(Object.keys(options)).toContain(key)
      // Before: "options.__proto__ is not an option here; use options.[object Object]" (or a function's source text).
      const pool = createResourcePool(options as unknown as ResourcePoolOptions<object>)
      expect(pool.stats().name).toBe('default')
    },
  )

  it('an own key of createBackoff named like a prototype member is ignored too', () => {
    const pool = createResourcePool({ ...base, createBackoff: own('constructor', 1, 'json') as never })
    expect(pool.stats().state).toBe('open')
  })

  it('still refuses the foreign option names, naming the key', () => {
    expect(make(own('testOnReturn', true, 'json'))).toThrow(new TypeError('options.testOnReturn is not an option here; use options.validateOnReturn'))
  })

  it('pool.on() refuses an event name that is not one of its events, naming it, and never reaches Object.prototype', () => {
    const pool = createResourcePool({ ...base, clock: createVirtualClock() })
    for (const event of HOSTILE) {
      // Before: "list.push is not a function" for constructor, and a listener silently kept for __proto__.
      expect(() => pool.on(event as 'create', () => {})).toThrow(new TypeError(`on(event) must be one of 'create', 'destroy', 'error', got ${JSON.stringify(event)}`))
    }
    expect(() => pool.on('create', 'no' as never)).toThrow(new TypeError('on(listener) must be a function, got "no"'))
  })

  it('createKeyRing lends, cools down and reports keys named __proto__, constructor and toString', async () => {
    const clock = createVirtualClock()
    const keys = ['__proto__', 'constructor', 'toString']
    const ring = createKeyRing(keys, { clock, cooldownMs: 1000, label: (key) => key })
    const lent: string[] = []
    for (let i = 0; i < 6; i++) {
      const lease = await ring.acquire()
      lent.push(lease.key)
      lease.release()
    }
    expect(lent).toEqual([...keys, ...keys])
    ring.coolDown('constructor')
    expect(() => ring.coolDown('valueOf')).toThrow(new TypeError('coolDown(key): the key is not in the ring (got "valueOf")'))
    expect(() => createKeyRing(['__proto__', 'a', '__proto__'])).toThrow(new RangeError('keys[2] is the same key as keys[0]: each key may be in the ring once'))
    const picked: string[] = []
    for (let i = 0; i < 4; i++) {
      const lease = await ring.acquire()
      picked.push(lease.key)
      lease.release()
    }
    expect(picked).not.toContain('constructor')
    const stats = ring.stats()
    expect(stats.coolingDown).toBe(1)
    expect(stats.keys.map((k) => [k.label, k.uses, k.cooldowns])).toEqual([
      ['__proto__', 4, 0],
      ['constructor', 2, 1],
      ['toString', 4, 0],
    ])
    await clock.advance(1000)
    expect(ring.stats().coolingDown).toBe(0)
    const uses = ring.collect().find((m) => m.name === 'resource_key_uses_total')!
    expect(uses.samples.map((s) => s.labels)).toEqual(keys.map((key) => ({ name: 'default', key })))
    ring.close()
  })
})

describe('keyPath', () => {
  it('names a key as a message should: .name for identifiers, ["..."] for others and for __proto__', () => {
    expect(keyPath('options', 'max')).toBe('options.max')
    expect(keyPath('options', 'constructor')).toBe('options.constructor')
    expect(keyPath('options', '__proto__')).toBe('options["__proto__"]')
    expect(keyPath('options', 'my key')).toBe('options["my key"]')
  })
})
