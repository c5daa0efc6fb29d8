// Helpers shared by the core test files.
import type { TaskContext, VirtualClock } from '../src/index.js'

export interface Gate<T> {
  readonly promise: Promise<T>
  resolve(value: T): void
  reject(error: unknown): void
}

export function gate<T = void>(): Gate<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

export interface Tracked<T> {
  status: 'pending' | 'fulfilled' | 'rejected'
  value: T | undefined
  error: unknown
}

/** Watches a promise without letting its rejection go unhandled. */
export function track<T>(promise: Promise<T>): Tracked<T> {
  const t: Tracked<T> = { status: 'pending', value: undefined, error: undefined }
  promise.then(
    (value) => {
      t.status = 'fulfilled'
      t.value = value
    },
    (error: unknown) => {
      t.status = 'rejected'
      t.error = error
    },
  )
  return t
}

/** Resolves on the next turn of the event loop (setImmediate): lets promise chains and I/O callbacks queued so far run. */
export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** Resolves after `ms` on the virtual clock (advance the clock to get there). */
export const sleep = (clock: VirtualClock, ms: number): Promise<void> => new Promise((resolve) => clock.setTimeout(resolve, ms))

/**
 * A handler whose tasks run until the test settles them: `started` lists the
 * inputs in start order, `contexts` the context each started with,
 * `release(input)` resolves that task (with `input * 10` by default) and
 * `fail(input, error)` rejects it.
 */
export function controlled() {
  const started: number[] = []
  const contexts = new Map<number, TaskContext>()
  const gates = new Map<number, Gate<number>>()
  const handler = (input: number, ctx: TaskContext): Promise<number> => {
    started.push(input)
    contexts.set(input, ctx)
    const g = gate<number>()
    gates.set(input, g)
    return g.promise
  }
  const gateOf = (input: number): Gate<number> => {
    const g = gates.get(input)
    if (g === undefined) throw new Error(`task ${input} has not started`)
    return g
  }
  const release = (input: number, value = input * 10): void => gateOf(input).resolve(value)
  const fail = (input: number, error: unknown): void => gateOf(input).reject(error)
  return { started, contexts, handler, release, fail }
}
