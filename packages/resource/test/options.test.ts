import { createVirtualClock } from '@poolkit/core'
import { describe, expect, it } from 'vitest'
import { createKeyRing, createResourcePool } from '../src/index.js'
import type { ResourcePoolOptions } from '../src/index.js'

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
    expect(make({ createBackoff: { initialMs: 500, maxMs: 100 } })).toThrow(
      new RangeError('options.createBackoff.maxMs (100) must not be less than options.createBackoff.initialMs (500)'),
    )
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
    expect(() => createResourcePool(undefined as unknown as ResourcePoolOptions<object>)).toThrow(
      new TypeError('options must be an object with create and destroy, got undefined'),
    )
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
