import { resolveRemoteWorkerOptions } from '@poolkit/core/remote'
import type { RemoteExecutorOptions } from '@poolkit/core/remote'
import type { TaskFunction, TaskFunctions } from '@poolkit/core/worker'
import type { WebWorkersOptions } from '../options.js'
import { defaultConcurrency } from '../default-concurrency.js'
import { describe } from './describe.js'

function fallbackFunctions(value: unknown): TaskFunctions | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'function') return { default: value as TaskFunction }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`options.fallback must be a task function or an object of task functions, got ${describe(value)}`)
  }
  const table = value as Record<string, unknown>
  const names = Object.keys(table)
  if (names.length === 0) throw new TypeError('options.fallback must hold at least one task function, got an empty object')
  for (const name of names) {
    if (typeof table[name] !== 'function') {
      throw new TypeError(`options.fallback.${name} must be a function, got ${describe(table[name])}`)
    }
  }
  return table as TaskFunctions
}

/** Options checked, with defaults filled in. */
export interface ResolvedWebOptions extends RemoteExecutorOptions {
  readonly url: URL | string
  readonly type: 'module' | 'classic'
  readonly name: string | undefined
  readonly fallback: TaskFunctions | undefined
}

/** A worker script: a URL, or a non-empty URL string (resolved by `new Worker` against the page). */
export function workerUrl(value: unknown): URL | string {
  if (value instanceof URL) return value
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`url must be a URL or a non-empty URL string, got ${describe(value)}`)
  }
  return value
}

export function resolveWebOptions(url: unknown, options: WebWorkersOptions | undefined): ResolvedWebOptions {
  const o = options === undefined ? {} : options
  if (typeof o !== 'object' || o === null) throw new TypeError(`options must be an object, got ${describe(o)}`)
  if (o.type !== undefined && o.type !== 'module' && o.type !== 'classic') {
    throw new TypeError(`options.type must be 'module' or 'classic', got ${describe(o.type)}`)
  }
  if (o.name !== undefined && typeof o.name !== 'string') throw new TypeError(`options.name must be a string, got ${describe(o.name)}`)
  return {
    // Browsers give no reliable per-worker heap figure from outside: no heap recycling.
    ...resolveRemoteWorkerOptions(o, Infinity),
    url: workerUrl(url),
    type: o.type ?? 'module',
    name: o.name,
    fallback: fallbackFunctions(o.fallback),
    defaultConcurrency: defaultConcurrency(),
  }
}
