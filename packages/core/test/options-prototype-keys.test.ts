// Core's shared option checks (`@poolkit/core/validate`), which every package
// validates with, under options whose own keys are named like Object.prototype
// members: they never look such a key up in a plain object, so they accept the
// options and describe values without calling anything of the caller's.
import { describe, expect, it } from 'vitest'
import { createPool, createVirtualClock } from '../src/index.js'
import { checkClock, checkObjectWith, checkOneOf, checkOptionsObject, describeValue } from '../src/validate.js'

const KEYS = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty']
const fromJson = (key: string, value: unknown): Record<string, unknown> => JSON.parse(`{${JSON.stringify(key)}: ${JSON.stringify(value)}}`) as Record<string, unknown>

describe('core option checks and keys named like Object.prototype members', () => {
  it.each(KEYS)('checkOptionsObject hands back options with an own key %s unchanged', (key) => {
    const options = fromJson(key, 1)
    expect(checkOptionsObject('options', options)).toBe(options)
    expect(Object.getOwnPropertyDescriptor(options, key)?.value).toBe(1)
  })

  it('describeValue never calls an own toString, valueOf or constructor of the value', () => {
    const hostile = {
      toString: () => {
        throw new Error('called toString')
      },
      valueOf: () => {
        throw new Error('called valueOf')
      },
      constructor: 'not a function',
    }
    expect(describeValue(hostile)).toBe('an object')
    expect(describeValue(fromJson('__proto__', { a: 1 }))).toBe('an object')
    expect(describeValue('constructor')).toBe('"constructor"')
    expect(describeValue('__proto__')).toBe('"__proto__"')
  })

  it('describeValue writes primitives as they are, strings quoted, and objects by kind only', () => {
    expect(describeValue(-1)).toBe('-1')
    expect(describeValue(NaN)).toBe('NaN')
    expect(describeValue(undefined)).toBe('undefined')
    expect(describeValue(null)).toBe('null')
    expect(describeValue(5n)).toBe('5n')
    expect(describeValue(Symbol('s'))).toBe('Symbol(s)')
    expect(describeValue('a "b"')).toBe('"a \\"b\\""')
    expect(describeValue([1, 2])).toBe('an array')
    expect(describeValue(new Date(0))).toBe('a Date')
    expect(describeValue(() => 1)).toBe('a function')
    expect(describeValue(new Map())).toBe('an object')
  })

  it('checkOneOf names the value given, prototype member names included', () => {
    for (const key of KEYS) {
      expect(() => checkOneOf('options.onQueueFull', key, ['reject', 'wait'])).toThrow(new TypeError(`options.onQueueFull must be one of 'reject', 'wait', got ${JSON.stringify(key)}`))
    }
  })

  it('checkObjectWith and checkClock look only at the named methods, and name the first missing one', () => {
    const clock = createVirtualClock()
    const withExtras = Object.assign(fromJson('__proto__', 1), { now: () => clock.now(), setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout })
    expect(() => checkClock('options.clock', withExtras)).not.toThrow()
    expect(() => checkObjectWith('options.queue', fromJson('constructor', 1), ['push'])).toThrow(new TypeError('options.queue.push must be a function, got undefined'))
  })

  it('createPool accepts options with own keys named like prototype members', async () => {
    for (const key of KEYS) {
      const pool = createPool({ ...fromJson(key, 5), handler: (n: number) => n * 2, clock: createVirtualClock() })
      await expect(pool.run(2)).resolves.toBe(4)
      await pool.close()
    }
  })
})
