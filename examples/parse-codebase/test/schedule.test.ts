import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { largestFirst, splitInTwo, type Sized } from '../src/schedule.js'

const file = (path: string, size: number): Sized => ({ path, size })
const bytes = (files: readonly Sized[]): number => files.reduce((sum, f) => sum + f.size, 0)
const sizedFiles = fc.uniqueArray(fc.record({ path: fc.string({ minLength: 1 }), size: fc.nat({ max: 2_000_000 }) }), { selector: (f) => f.path, maxLength: 200 })

describe('largestFirst', () => {
  it('orders the files by size, largest first, ties by path, and leaves the input alone', () => {
    const files = [file('b', 10), file('a', 300), file('c', 10), file('d', 2_000)]
    expect(largestFirst(files).map((f) => f.path)).toEqual(['d', 'a', 'b', 'c'])
    expect(files.map((f) => f.path)).toEqual(['b', 'a', 'c', 'd'])
  })

  it('never puts a smaller file before a larger one', () => {
    fc.assert(
      fc.property(sizedFiles, (files) => {
        const order = largestFirst(files)
        expect(order).toHaveLength(files.length)
        for (let i = 1; i < order.length; i++) expect(order[i - 1]!.size).toBeGreaterThanOrEqual(order[i]!.size)
      }),
    )
  })
})

describe('splitInTwo', () => {
  it('gives each half about half the bytes, each half largest first', () => {
    const [a, b] = splitInTwo([file('x', 5), file('y', 4), file('z', 3), file('w', 3), file('v', 1)])
    // Dealt x, y, w, z (3 each: by path), v.
    expect(a.map((f) => f.path)).toEqual(['x', 'z'])
    expect(b.map((f) => f.path)).toEqual(['y', 'w', 'v'])
    expect([bytes(a), bytes(b)]).toEqual([8, 8])
  })

  it('puts every file in exactly one half, and the halves differ by at most the largest file', () => {
    fc.assert(
      fc.property(sizedFiles, (files) => {
        const [a, b] = splitInTwo(files)
        expect([...a, ...b].map((f) => f.path).sort()).toEqual(files.map((f) => f.path).sort())
        const largest = Math.max(0, ...files.map((f) => f.size))
        expect(Math.abs(bytes(a) - bytes(b))).toBeLessThanOrEqual(largest)
      }),
    )
  })

  it('splits many equal files evenly', () => {
    const files = Array.from({ length: 10 }, (_, i) => file(`f${i}`, 100))
    const [a, b] = splitInTwo(files)
    expect([a.length, b.length]).toEqual([5, 5])
  })
})
