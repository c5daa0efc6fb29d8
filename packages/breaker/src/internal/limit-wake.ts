// The `wake` functions of every pool a policy guards (Breaker.attach is called once per pool).

/** Collects the pools' `wake` functions and calls each of them for a key. */
export class Wakers {
  private readonly list: ((key: string | undefined) => void)[] = []

  add(wake: (key: string | undefined) => void): void {
    this.list.push(wake)
  }

  /** Tells every attached pool that tasks of `key` it holds may be asked about again (`undefined`: of every key). */
  wake(key: string | undefined): void {
    for (const wake of this.list) wake(key)
  }

  /** Wakes the tasks of each key in `keys`: the pools hold tasks by their own `key` (`undefined` among them: every key). */
  wakeEach(keys: ReadonlySet<string | undefined>): void {
    if (keys.has(undefined)) this.wake(undefined)
    else for (const key of keys) this.wake(key)
  }
}
