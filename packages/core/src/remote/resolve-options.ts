import type { ErrorClasses } from '../protocol/serialize-error.js'
import * as check from '../internal/validate.js'
import type { RemoteWorkerOptions } from './channel.js'

/**
 * The options of a remote executor's workers as a user gives them (each
 * optional): what `threads()`, `processes()` and `webWorkers()` share.
 * @public
 */
export interface RemoteWorkerSettings {
  readonly concurrentTasksPerWorker?: number | undefined
  readonly prefetch?: number | undefined
  readonly prefetchMs?: number | undefined
  readonly maxTasksPerWorker?: number | undefined
  readonly unresponsiveTimeout?: number | undefined
  readonly abortTimeout?: number | undefined
  readonly closeTimeout?: number | undefined
  readonly startTimeout?: number | undefined
  readonly errorClasses?: ErrorClasses | undefined
}

/** How long a worker may take to report ready, unless told otherwise (ms). */
export const DEFAULT_START_TIMEOUT = 30_000

function positiveIntegerOrInfinity(path: string, value: unknown, fallback: number): number {
  return value === undefined ? fallback : check.positiveIntegerOrInfinity(path, value)
}

function positiveDuration(path: string, value: unknown, fallback: number): number {
  return value === undefined ? fallback : check.positiveDurationOrInfinity(path, value)
}

/**
 * Checks the settings every adapter shares and fills in their defaults, so
 * the node and web adapters give the same defaults and the same messages:
 * 1 task at a time per worker, `prefetch` 256, `prefetchMs` 3, no recycling by
 * task count, no heartbeat, `abortTimeout` 100 ms, `closeTimeout` 5 s,
 * `startTimeout` 30 s.
 * `maxHeapBytes` is the adapter's (a browser cannot read a worker's heap).
 * @public
 */
export function resolveRemoteWorkerOptions(settings: RemoteWorkerSettings, maxHeapBytes = Infinity): RemoteWorkerOptions {
  if (typeof settings !== 'object' || settings === null) throw new TypeError(`options must be an object, got ${check.describe(settings)}`)
  const o = settings
  if (o.errorClasses !== undefined && !Array.isArray(o.errorClasses) && !(o.errorClasses instanceof Map)) {
    throw new TypeError(`options.errorClasses must be an array of error classes or a Map of them by name, got ${check.describe(o.errorClasses)}`)
  }
  // Each entry too: a stray value would never rebuild anything, and nothing would say why.
  for (const [at, errorClass] of o.errorClasses instanceof Map ? o.errorClasses : (o.errorClasses ?? []).entries()) {
    if (typeof errorClass !== 'function') {
      throw new TypeError(`options.errorClasses[${typeof at === 'string' ? JSON.stringify(at) : String(at)}] must be an error class, got ${check.describe(errorClass)}`)
    }
  }
  const concurrentTasksPerWorker = positiveIntegerOrInfinity('options.concurrentTasksPerWorker', o.concurrentTasksPerWorker, 1)
  if (concurrentTasksPerWorker === Infinity) {
    throw new RangeError('options.concurrentTasksPerWorker must be finite: it bounds the tasks the pool gives each worker, got Infinity')
  }
  return {
    concurrentTasksPerWorker,
    prefetch: o.prefetch === undefined ? 256 : check.nonNegativeInteger('options.prefetch', o.prefetch),
    prefetchMs: positiveDuration('options.prefetchMs', o.prefetchMs, 3),
    maxTasksPerWorker: positiveIntegerOrInfinity('options.maxTasksPerWorker', o.maxTasksPerWorker, Infinity),
    maxHeapBytes,
    unresponsiveTimeout: o.unresponsiveTimeout === undefined ? Infinity : check.duration('options.unresponsiveTimeout', o.unresponsiveTimeout),
    abortTimeout: o.abortTimeout === undefined ? 100 : check.duration('options.abortTimeout', o.abortTimeout),
    closeTimeout: o.closeTimeout === undefined ? 5000 : check.duration('options.closeTimeout', o.closeTimeout),
    startTimeout: positiveDuration('options.startTimeout', o.startTimeout, DEFAULT_START_TIMEOUT),
    errorClasses: o.errorClasses,
  }
}
