// Helpers shared by the core test files.
import type { VirtualClock } from '../src/index.js'

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

/** Resolves after `ms` on the virtual clock (advance the clock to get there). */
export const sleep = (clock: VirtualClock, ms: number): Promise<void> => new Promise((resolve) => clock.setTimeout(resolve, ms))
