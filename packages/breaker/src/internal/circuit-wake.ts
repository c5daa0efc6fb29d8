// Who to tell when a circuit lets held tasks ask again: the attached pools and waiting execute() calls.

import type { Clock } from '@poolkit/core'

/** The pools' `wake` functions (one per attached pool) and the execute() calls held by circuit key. */
export class CircuitWakes {
  private readonly pools: ((key: string | undefined) => void)[] = []
  private readonly waiters = new Map<string | undefined, Set<() => void>>()

  constructor(private readonly clock: Clock) {}

  attach(wake: (key: string | undefined) => void): void {
    this.pools.push(wake)
  }

  /**
   * Wakes the tasks of a circuit: the execute() calls waiting on `circuitKey`,
   * and the pools' held tasks of `poolKeys` (pools hold tasks by their own
   * `key`, which is the circuit's key unless a key function says otherwise).
   * `undefined` is the circuit of tasks without a key, or the one circuit when
   * not keyed, and pools read it as every key.
   */
  wake(circuitKey: string | undefined, poolKeys: ReadonlySet<string | undefined> | undefined = undefined): void {
    if (poolKeys === undefined || poolKeys.has(undefined)) {
      for (const wake of this.pools) wake(poolKeys === undefined ? circuitKey : undefined)
    } else {
      for (const wake of this.pools) for (const key of poolKeys) wake(key)
    }
    const waiting = this.waiters.get(circuitKey)
    if (waiting !== undefined) for (const resume of [...waiting]) resume()
  }

  /** Resolves at `retryAt` (never, for `Infinity`) or when the circuit is woken, whichever comes first. */
  waitFor(circuitKey: string | undefined, retryAt: number): Promise<void> {
    return new Promise((resolve) => {
      let waiting = this.waiters.get(circuitKey)
      if (waiting === undefined) this.waiters.set(circuitKey, (waiting = new Set()))
      const set = waiting
      let timer: unknown
      const resume = (): void => {
        set.delete(resume)
        if (set.size === 0 && this.waiters.get(circuitKey) === set) this.waiters.delete(circuitKey)
        if (timer !== undefined) this.clock.clearTimeout(timer)
        resolve()
      }
      set.add(resume)
      if (retryAt !== Infinity) timer = this.clock.setTimeout(resume, Math.max(0, retryAt - this.clock.now()))
    })
  }
}
