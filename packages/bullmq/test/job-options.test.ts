import { Priority } from '@poolkit/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromJobPriority, toJobOptions, toJobPriority } from '../src/index.js'

describe('toJobPriority() / fromJobPriority()', () => {
  it('maps poolkit priorities (higher first) onto BullMQ priorities (lower first), in range, and back', () => {
    expect(toJobPriority(Priority.Critical)).toBeLessThan(toJobPriority(Priority.High))
    expect(toJobPriority(Priority.High)).toBeLessThan(toJobPriority(Priority.Normal))
    expect(toJobPriority(Priority.Normal)).toBeLessThan(toJobPriority(Priority.Low))
    expect(toJobPriority(1_048_575)).toBe(1)
    expect(toJobPriority(-1_048_575)).toBe(2_097_151)
    fc.assert(
      fc.property(fc.integer({ min: -1_048_575, max: 1_048_575 }), fc.integer({ min: -1_048_575, max: 1_048_575 }), (a, b) => {
        expect(fromJobPriority(toJobPriority(a))).toBe(a)
        expect(Math.sign(toJobPriority(b) - toJobPriority(a))).toBe(Math.sign(a - b))
      }),
    )
  })

  it('reads a job without a priority as Priority.Normal', () => {
    expect(fromJobPriority(undefined)).toBe(Priority.Normal)
    expect(fromJobPriority(0)).toBe(Priority.Normal)
  })

  it('refuses priorities BullMQ cannot hold, naming the value', () => {
    expect(() => toJobPriority(1_048_576)).toThrow(new RangeError('priority must be an integer from -1048575 to 1048575 for a BullMQ job, got 1048576'))
    expect(() => toJobPriority(0.5)).toThrow(RangeError)
  })
})

describe('toJobOptions()', () => {
  it('always sets a BullMQ priority, and keeps key and timeout under opts.poolkit', () => {
    expect(toJobOptions()).toEqual({ priority: 1_048_575 })
    expect(toJobOptions({ priority: Priority.High, key: 'tenant-a', timeout: 5_000, jobId: 'order-1' })).toEqual({
      priority: 1_048_574,
      jobId: 'order-1',
      poolkit: { key: 'tenant-a', timeout: 5_000 },
    })
  })

  it('writes "no timeout" (Infinity, which JSON cannot hold) as 0, which the pool reads the same way', () => {
    expect(toJobOptions({ timeout: Infinity })).toEqual({ priority: 1_048_575, poolkit: { timeout: 0 } })
    expect(JSON.parse(JSON.stringify(toJobOptions({ timeout: Infinity })))).toEqual(toJobOptions({ timeout: Infinity }))
  })

  it('refuses invalid options, naming the option and the value', () => {
    expect(() => toJobOptions({ key: 3 as never })).toThrow(new TypeError('options.key must be a string, got 3'))
    expect(() => toJobOptions({ timeout: Number.NaN })).toThrow(new TypeError('options.timeout must be a non-negative number of milliseconds or Infinity, got NaN'))
    expect(() => toJobOptions({ priority: 2 ** 21 })).toThrow(RangeError)
  })
})
