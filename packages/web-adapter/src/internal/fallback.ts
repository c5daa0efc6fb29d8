import { inProcess } from '@poolkit/core'
import type { Executor, TaskContext } from '@poolkit/core'
import type { TaskFunctions } from '@poolkit/core/worker'

/** The executor kind `stats().executor` reports when `webWorkers()` runs its fallback. */
export const FALLBACK_KIND = 'web-workers (in-process fallback)'

const TRANSFER = Symbol.for('poolkit.transfer')

/**
 * The worker's functions run on the calling thread, where `Worker` does not
 * exist: a task's `name` picks the function, as in a worker, and a
 * `transfer()` result gives its value (nothing to move in-process).
 */
export function fallbackExecutor<I, O>(functions: TaskFunctions, concurrency: number): Executor<I, O> {
  const names = Object.keys(functions)
  const only = functions.default ?? (names.length === 1 ? functions[names[0]!] : undefined)
  const handler = async (input: I, context: TaskContext): Promise<O> => {
    const fn = context.name === undefined ? only : Object.hasOwn(functions, context.name) ? functions[context.name] : undefined
    if (fn === undefined) {
      throw new TypeError(context.name === undefined ? `The fallback exposes no default function (it has ${names.join(', ')})` : `The fallback exposes no function "${context.name}"`)
    }
    const value = await fn(input, context)
    if (typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TRANSFER] === true) {
      return (value as { value: O }).value
    }
    return value as O
  }
  return { ...inProcess<I, O>(handler), kind: FALLBACK_KIND, defaultConcurrency: concurrency }
}
