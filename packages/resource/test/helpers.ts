import type { VirtualClock } from '@poolkit/core'

/** A resource as the test factories make them. */
export interface Conn {
  readonly id: number
  healthy: boolean
}

export interface Factory {
  create(): Promise<Conn>
  destroy(conn: Conn): void
  /** Resources created and not destroyed. */
  readonly live: Set<Conn>
  /** Destroyed resources, in order. */
  readonly destroyed: Conn[]
  /** create() calls so far. */
  readonly calls: number
  /** Makes the next creates fail with `error` (until `heal()`). */
  fail(error: Error): void
  heal(): void
}

/**
 * A factory of `Conn`s that records what it created and destroyed. With
 * `createMs`, each create takes that long on the virtual clock.
 */
export function factory(options: { clock?: VirtualClock; createMs?: number } = {}): Factory {
  let next = 1
  let calls = 0
  let failure: Error | undefined
  const live = new Set<Conn>()
  const destroyed: Conn[] = []
  return {
    async create() {
      calls++
      const error = failure
      if (options.createMs !== undefined) await sleep(options.clock!, options.createMs)
      if (error !== undefined) throw error
      const conn: Conn = { id: next++, healthy: true }
      live.add(conn)
      return conn
    },
    destroy(conn) {
      if (!live.delete(conn)) throw new Error(`conn ${conn.id} destroyed twice or never created`)
      destroyed.push(conn)
    },
    live,
    destroyed,
    get calls() {
      return calls
    },
    fail(error) {
      failure = error
    },
    heal() {
      failure = undefined
    },
  }
}

/** Resolves after `ms` of virtual time. */
export function sleep(clock: VirtualClock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms))
}

/** Whether a promise has settled yet (after letting pending callbacks run). */
export async function settled(clock: VirtualClock, promise: Promise<unknown>): Promise<boolean> {
  let done = false
  promise.then(
    () => (done = true),
    () => (done = true),
  )
  await clock.flush()
  return done
}

/** The rejection of a promise (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the promise to reject, but it resolved')
}

/** Watches a promise from now on (so a rejection is never unhandled): whether it settled, and how. */
export function watch<T>(promise: Promise<T>): { readonly settled: boolean; readonly value: T | undefined; readonly error: unknown } {
  const state = { settled: false, value: undefined as T | undefined, error: undefined as unknown }
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  )
  return state
}
