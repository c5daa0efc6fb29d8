// Checks the circuit breaker's options once, when it is built, and fills in the defaults.

import { systemClock } from '@poolkit/core'
import type { Clock, KeyFunction } from '@poolkit/core'
import type { CircuitBreakerOptions } from '../circuit-breaker.js'
import { describe, durationOrInfinity, keyFunction, objectWith, oneOf, optionalFunction, optionsObject } from './validate.js'

/** The options with every default filled in. */
export interface ResolvedCircuitOptions {
  readonly clock: Clock
  readonly failureThreshold: number
  readonly failureRateThreshold: number | undefined
  readonly window: { readonly type: 'count'; readonly size: number } | { readonly type: 'time'; readonly ms: number }
  readonly minimumCalls: number
  readonly slowCallMs: number
  readonly openMs: number
  readonly backoffFactor: number
  readonly maxOpenMs: number
  readonly halfOpenMax: number
  readonly successThreshold: number
  readonly cancelledProbeMs: number
  readonly isFailure: ((error: unknown) => boolean) | undefined
  readonly whenOpen: 'reject' | 'hold'
  readonly keyed: boolean
  /** The key function given, if any; `undefined` reads the task's own `key`. */
  readonly key: KeyFunction | undefined
  readonly maxKeys: number
  readonly keyIdleMs: number
}

function positiveInteger(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`${path} must be a positive integer, got ${describe(value)}`)
  }
  return value
}

function positiveIntegerOrInfinity(path: string, value: unknown): number {
  if (value === Infinity) return value
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`${path} must be a positive integer or Infinity, got ${describe(value)}`)
  }
  return value
}

function positiveFinite(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${path} must be a finite number of milliseconds above 0, got ${describe(value)}`)
  }
  return value
}

function finiteDuration(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${path} must be a finite non-negative number of milliseconds, got ${describe(value)}`)
  }
  return value
}

function boolean(path: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${path} must be a boolean, got ${describe(value)}`)
  return value
}

function resolveWindow(value: unknown): ResolvedCircuitOptions['window'] {
  if (value === undefined) return { type: 'count', size: 100 }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`options.window must be an object, got ${describe(value)}`)
  }
  const w = value as Record<string, unknown>
  const type = oneOf('options.window.type', w.type, ['count', 'time'] as const)
  return type === 'count' ? { type, size: positiveInteger('options.window.size', w.size) } : { type, ms: positiveFinite('options.window.ms', w.ms) }
}

/** Validates `options` (messages name the option path and the value) and fills in the defaults. */
export function resolveCircuitOptions(options: CircuitBreakerOptions | undefined): ResolvedCircuitOptions {
  const o = optionsObject('options', options)
  const clock = o.clock ?? systemClock
  if (o.clock !== undefined) objectWith('options.clock', o.clock, ['now', 'setTimeout', 'clearTimeout'])

  const failureThreshold = o.failureThreshold === undefined ? 5 : positiveIntegerOrInfinity('options.failureThreshold', o.failureThreshold)
  const rate = o.failureRateThreshold
  if (rate !== undefined && (typeof rate !== 'number' || !(rate > 0 && rate <= 1))) {
    throw new TypeError(`options.failureRateThreshold must be a number above 0 and at most 1, got ${describe(rate)}`)
  }
  const window = resolveWindow(o.window)
  const minimumCalls = o.minimumCalls === undefined ? 10 : positiveInteger('options.minimumCalls', o.minimumCalls)
  if (rate !== undefined && window.type === 'count' && minimumCalls > window.size) {
    throw new RangeError(`options.minimumCalls (${minimumCalls}) must not exceed options.window.size (${window.size}): the failure rate could never trip the circuit`)
  }
  const slowCallMs = o.slowCallMs === undefined ? Infinity : durationOrInfinity('options.slowCallMs', o.slowCallMs)
  const openMs = o.openMs === undefined ? 10_000 : durationOrInfinity('options.openMs', o.openMs)

  let backoffFactor = 1
  let maxOpenMs = Infinity
  if (o.backoff !== undefined) {
    const b = optionsObject('options.backoff', o.backoff)
    if (b.factor !== undefined) {
      if (typeof b.factor !== 'number' || !Number.isFinite(b.factor) || b.factor < 1) {
        throw new TypeError(`options.backoff.factor must be a finite number of at least 1, got ${describe(b.factor)}`)
      }
      backoffFactor = b.factor
    }
    if (b.maxOpenMs !== undefined) maxOpenMs = durationOrInfinity('options.backoff.maxOpenMs', b.maxOpenMs)
    if (maxOpenMs < openMs) {
      throw new RangeError(`options.backoff.maxOpenMs (${maxOpenMs}) must be at least options.openMs (${openMs})`)
    }
  }

  const halfOpenMax = o.halfOpenMax === undefined ? 1 : positiveInteger('options.halfOpenMax', o.halfOpenMax)
  const successThreshold = o.successThreshold === undefined ? 1 : positiveInteger('options.successThreshold', o.successThreshold)
  optionalFunction('options.isFailure', o.isFailure)
  const whenOpen = o.whenOpen === undefined ? 'reject' : oneOf('options.whenOpen', o.whenOpen, ['reject', 'hold'] as const)
  const cancelledProbeMs = o.cancelledProbeMs === undefined ? openMs : finiteDuration('options.cancelledProbeMs', o.cancelledProbeMs)
  const key = keyFunction('options.key', o.key)
  const keyed = o.keyed === undefined ? o.key !== undefined : boolean('options.keyed', o.keyed)
  if (!keyed && o.key !== undefined) {
    throw new TypeError('options.keyed is false but options.key is a function: a key function means one circuit per key (leave options.keyed out, or set it to true)')
  }
  const maxKeys = o.maxKeys === undefined ? 1000 : positiveIntegerOrInfinity('options.maxKeys', o.maxKeys)
  const keyIdleMs = o.keyIdleMs === undefined ? 600_000 : durationOrInfinity('options.keyIdleMs', o.keyIdleMs)

  return {
    clock,
    failureThreshold,
    failureRateThreshold: rate,
    window,
    minimumCalls,
    slowCallMs,
    openMs,
    backoffFactor,
    maxOpenMs,
    halfOpenMax,
    successThreshold,
    cancelledProbeMs,
    isFailure: o.isFailure,
    whenOpen,
    keyed,
    key,
    maxKeys,
    keyIdleMs,
  }
}
