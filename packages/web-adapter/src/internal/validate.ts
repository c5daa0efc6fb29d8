import { resolveRemoteWorkerOptions } from '@poolkit/core/remote'
import type { RemoteExecutorOptions } from '@poolkit/core/remote'
import { describeValue as describe } from '@poolkit/core/validate'
import type { TaskFunction, TaskFunctions } from '@poolkit/core/worker'
import type { WebWorkersOptions } from '../options.js'
import { defaultConcurrency } from '../default-concurrency.js'

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
  /** Makes one worker: `new Worker(url, { type, name })`, or the user's factory with its result checked. */
  readonly create: () => Worker
  /** The worker as error messages name it: its URL, or that a factory made it. */
  readonly label: string
  readonly fallback: TaskFunctions | undefined
}

/** A worker script: a URL, or a non-empty URL string (resolved by `new Worker` against the page). */
function workerUrl(value: unknown): URL | string {
  if (value instanceof URL) return value
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`worker must be a URL, a non-empty URL string or a function that returns a Worker, got ${describe(value)}`)
  }
  return value
}

/**
 * Calls the user's factory and checks what it made: a `Worker`, or the start
 * fails (the pool reports the error, retries with back-off, and gives up with
 * `WorkerStartError` carrying it as `cause`).
 */
function fromFactory(factory: () => unknown): Worker {
  const made = factory()
  if (made instanceof Worker) return made
  const thenable = typeof made === 'object' && made !== null && typeof (made as { then?: unknown }).then === 'function'
  throw new TypeError(
    thenable
      ? 'The worker factory passed to webWorkers() must return a Worker, got a promise: return new Worker(...) itself, synchronously'
      : `The worker factory passed to webWorkers() must return a Worker (new Worker(...)), got ${describe(made)}`,
  )
}

export function resolveWebOptions(worker: unknown, options: WebWorkersOptions | undefined): ResolvedWebOptions {
  const o = options === undefined ? {} : options
  if (typeof o !== 'object' || o === null) throw new TypeError(`options must be an object, got ${describe(o)}`)
  if (o.type !== undefined && o.type !== 'module' && o.type !== 'classic') {
    throw new TypeError(`options.type must be 'module' or 'classic', got ${describe(o.type)}`)
  }
  if (o.name !== undefined && typeof o.name !== 'string') throw new TypeError(`options.name must be a string, got ${describe(o.name)}`)
  let create: () => Worker
  let label: string
  if (typeof worker === 'function') {
    // The factory's own new Worker() call says the type and name; two places to say them would disagree.
    for (const key of ['type', 'name'] as const) {
      if (o[key] !== undefined) {
        throw new RangeError(`options.${key} applies to a worker URL only, got ${describe(o[key])} with a worker factory: pass { ${key}: ${describe(o[key])} } to new Worker() in the factory instead`)
      }
    }
    const factory = worker as () => unknown
    create = () => fromFactory(factory)
    label = 'made by the worker factory'
  } else {
    const url = workerUrl(worker)
    const type = o.type ?? 'module'
    const name = o.name
    create = () => new Worker(url, { type, name })
    // A bundler may inline the script as a long data: URL; error messages show its start.
    const text = String(url)
    label = text.length > 120 ? `${text.slice(0, 100)}…` : text
  }
  return {
    // Browsers give no reliable per-worker heap figure from outside: no heap recycling.
    ...resolveRemoteWorkerOptions(o, Infinity),
    create,
    label,
    fallback: fallbackFunctions(o.fallback),
    defaultConcurrency: defaultConcurrency(),
  }
}
