import { systemClock } from '@poolkit/core'
import type { Clock } from '@poolkit/core'
import type { ResourcePoolOptions } from '../options.js'
import * as check from './validate.js'

/** The options of a pool, checked, with their defaults filled in. */
export interface ResolvedPoolOptions<T> {
  readonly create: () => T | PromiseLike<T>
  readonly destroy: (resource: T) => void | PromiseLike<void>
  readonly validate: ((resource: T) => boolean | PromiseLike<boolean>) | undefined
  readonly validateOnReturn: boolean
  readonly min: number
  readonly max: number
  readonly idleTimeoutMs: number
  readonly acquireTimeoutMs: number
  readonly maxUses: number
  readonly maxLifetimeMs: number
  readonly maxWaiters: number
  readonly backoff: { readonly initialMs: number; readonly factor: number; readonly maxMs: number }
  readonly name: string
  readonly clock: Clock
}

// The names generic-pool and tarn use for the same settings: refused, with ours named.
// A Map, not an object literal: the keys looked up in it are the caller's own
// (`constructor` or `__proto__` must not find Object.prototype's members).
const FOREIGN: ReadonlyMap<string, string> = new Map([
  ['acquireTimeoutMillis', 'acquireTimeoutMs'],
  ['idleTimeoutMillis', 'idleTimeoutMs'],
  ['softIdleTimeoutMillis', 'idleTimeoutMs'],
  ['maxWaitingClients', 'maxWaiters'],
  ['testOnBorrow', 'validate'],
  ['testOnReturn', 'validateOnReturn'],
  ['createRetryIntervalMillis', 'createBackoff'],
  ['maxLifetime', 'maxLifetimeMs'],
  ['idleTimeout', 'idleTimeoutMs'],
  ['acquireTimeout', 'acquireTimeoutMs'],
])

export const DEFAULTS = {
  min: 0,
  max: 10,
  idleTimeoutMs: 30_000,
  acquireTimeoutMs: 30_000,
  backoff: { initialMs: 100, factor: 2, maxMs: 30_000 },
  name: 'default',
} as const

/** Checks the options of `createResourcePool`; each message names the option and the value it got. */
export function resolvePoolOptions<T>(options: ResourcePoolOptions<T>): ResolvedPoolOptions<T> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`options must be an object with create and destroy, got ${check.describe(options)}`)
  }
  const o = options as ResourcePoolOptions<T> & Record<string, unknown>
  check.foreignKeys('options', o, FOREIGN)
  check.func('options.create', o.create)
  check.func('options.destroy', o.destroy)
  check.optionalFunction('options.validate', o.validate)
  const validateOnReturn = check.optionalBoolean('options.validateOnReturn', o.validateOnReturn) ?? false
  if (validateOnReturn && o.validate === undefined) {
    throw new RangeError('options.validateOnReturn is true but options.validate is not set: there is nothing to run on return')
  }
  const min = o.min === undefined ? DEFAULTS.min : check.nonNegativeInteger('options.min', o.min)
  const max = o.max === undefined ? DEFAULTS.max : check.positiveInteger('options.max', o.max)
  if (min > max) throw new RangeError(`options.min (${min}) must not be greater than options.max (${max})`)
  const idleTimeoutMs = o.idleTimeoutMs === undefined ? DEFAULTS.idleTimeoutMs : check.durationOrInfinity('options.idleTimeoutMs', o.idleTimeoutMs)
  const acquireTimeoutMs = o.acquireTimeoutMs === undefined ? DEFAULTS.acquireTimeoutMs : check.durationOrInfinity('options.acquireTimeoutMs', o.acquireTimeoutMs)
  const maxUses = o.maxUses === undefined ? Infinity : check.positiveIntegerOrInfinity('options.maxUses', o.maxUses)
  const maxLifetimeMs = o.maxLifetimeMs === undefined ? Infinity : check.positiveDurationOrInfinity('options.maxLifetimeMs', o.maxLifetimeMs)
  const maxWaiters = o.maxWaiters === undefined ? Infinity : check.nonNegativeIntegerOrInfinity('options.maxWaiters', o.maxWaiters)
  const b = check.optionsObject('options.createBackoff', o.createBackoff)
  const initialMs = b.initialMs === undefined ? DEFAULTS.backoff.initialMs : check.finiteDuration('options.createBackoff.initialMs', b.initialMs)
  const factor = b.factor === undefined ? DEFAULTS.backoff.factor : check.numberAtLeast('options.createBackoff.factor', b.factor, 1)
  const maxMs = b.maxMs === undefined ? Math.max(DEFAULTS.backoff.maxMs, initialMs) : check.finiteDuration('options.createBackoff.maxMs', b.maxMs)
  if (maxMs < initialMs) {
    throw new RangeError(`options.createBackoff.maxMs (${maxMs}) must not be less than options.createBackoff.initialMs (${initialMs})`)
  }
  const name = o.name === undefined ? DEFAULTS.name : check.nonEmptyString('options.name', o.name)
  if (o.clock !== undefined) check.objectWith('options.clock', o.clock, ['now', 'setTimeout', 'clearTimeout'])
  return {
    create: o.create,
    destroy: o.destroy,
    validate: o.validate,
    validateOnReturn,
    min,
    max,
    idleTimeoutMs,
    acquireTimeoutMs,
    maxUses,
    maxLifetimeMs,
    maxWaiters,
    backoff: { initialMs, factor, maxMs },
    name,
    clock: o.clock ?? systemClock,
  }
}

/** Checks the options of one acquire; `undefined` is fine. */
export function checkAcquireOptions(path: string, options: unknown): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${path} must be an object, got ${check.describe(options)}`)
  }
  const o = options as Record<string, unknown>
  check.abortSignal(`${path}.signal`, o.signal)
  if (o.timeoutMs !== undefined) check.durationOrInfinity(`${path}.timeoutMs`, o.timeoutMs)
}
