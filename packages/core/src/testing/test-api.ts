/**
 * The few functions of a test runner a conformance suite needs: vitest's,
 * jest's and node:test's `describe` and `it` all fit. The suites assert with
 * their own checks, so they work with any runner.
 * @public
 */
export interface TestApi {
  describe(name: string, body: () => void): void
  it(name: string, body: () => Promise<void> | void): void
}

/** Throws with `message` unless `condition` holds. */
export function ok(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`conformance: ${message}`)
}

/** Deep equality for plain data (arrays, objects, primitives). */
export function equal(actual: unknown, expected: unknown, message: string): void {
  const a = JSON.stringify(actual)
  const e = JSON.stringify(expected)
  if (a !== e) throw new Error(`conformance: ${message}: expected ${e}, got ${a}`)
}

/**
 * A small seeded generator of numbers in [0, 1) (mulberry32): the same seed gives
 * the same sequence, so a failing run can be replayed and a benchmark can give
 * every library the same inputs.
 * @public
 */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
