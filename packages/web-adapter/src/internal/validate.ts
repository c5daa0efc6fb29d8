import type { RemoteExecutorOptions } from '@poolkit/core/remote'
import type { TaskFunction, TaskFunctions } from '@poolkit/core/worker'
import type { WebWorkersOptions } from '../options.js'
import { defaultConcurrency } from '../default-concurrency.js'
import { describe } from './describe.js'

function positiveIntegerOrInfinity(path: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (value === Infinity) return value
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`${path} must be a positive integer or Infinity, got ${describe(value)}`)
  }
  return value
}

function nonNegativeInteger(path: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new TypeError(`${path} must be a non-negative integer, got ${describe(value)}`)
  }
  return value
}

function duration(path: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new TypeError(`${path} must be a non-negative number of milliseconds or Infinity, got ${describe(value)}`)
  }
  return value
}

function positiveDuration(path: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value > 0)) {
    throw new TypeError(`${path} must be a positive number of milliseconds or Infinity, got ${describe(value)}`)
  }
  return value
}

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
  const o = options ?? {}
  if (typeof o !== 'object' || o === null) throw new TypeError(`options must be an object, got ${describe(o)}`)
  if (o.type !== undefined && o.type !== 'module' && o.type !== 'classic') {
    throw new TypeError(`options.type must be 'module' or 'classic', got ${describe(o.type)}`)
  }
  if (o.name !== undefined && typeof o.name !== 'string') throw new TypeError(`options.name must be a string, got ${describe(o.name)}`)
  if (o.errorClasses !== undefined && !Array.isArray(o.errorClasses) && !(o.errorClasses instanceof Map)) {
    throw new TypeError(`options.errorClasses must be an array of error classes or a Map of them by name, got ${describe(o.errorClasses)}`)
  }
  const concurrentTasksPerWorker = positiveIntegerOrInfinity('options.concurrentTasksPerWorker', o.concurrentTasksPerWorker, 1)
  if (concurrentTasksPerWorker === Infinity) {
    throw new RangeError('options.concurrentTasksPerWorker must be finite: it bounds the tasks the pool gives each worker, got Infinity')
  }
  return {
    url: workerUrl(url),
    type: o.type ?? 'module',
    name: o.name,
    fallback: fallbackFunctions(o.fallback),
    concurrentTasksPerWorker,
    prefetch: nonNegativeInteger('options.prefetch', o.prefetch, 256),
    prefetchMs: positiveDuration('options.prefetchMs', o.prefetchMs, 3),
    maxTasksPerWorker: positiveIntegerOrInfinity('options.maxTasksPerWorker', o.maxTasksPerWorker, Infinity),
    // Browsers give no reliable per-worker heap figure from outside: no heap recycling.
    maxHeapBytes: Infinity,
    unresponsiveTimeout: duration('options.unresponsiveTimeout', o.unresponsiveTimeout, Infinity),
    abortTimeout: duration('options.abortTimeout', o.abortTimeout, 100),
    closeTimeout: duration('options.closeTimeout', o.closeTimeout, 5000),
    errorClasses: o.errorClasses,
    defaultConcurrency: defaultConcurrency(),
  }
}
