// The CircuitOpenError a circuit rejects a task with: its message says how long is left, and names a key only for keyed circuits.

import { CircuitOpenError } from '@poolkit/core'
import type { CircuitState } from '../circuit-breaker.js'

/**
 * The error for a task a circuit refused.
 * @param keyed - whether the breaker keeps one circuit per key (only then does the message name a key)
 * @param key - the error's `key`: the circuit's key when keyed, else the task's own key
 * @param state - the circuit's state: `'open'`, or `'half-open'` with every probe place taken
 * @param retryAt - when to ask again, on the clock (ms); the error's `retryAt`
 * @param now - the clock now, to say how long is left
 */
export function circuitOpenError(keyed: boolean, key: string | undefined, state: CircuitState, retryAt: number, now: number): CircuitOpenError {
  const circuit = keyed ? (key === undefined ? 'The circuit for tasks without a key' : `The circuit for key "${key}"`) : 'The circuit'
  const message =
    state === 'open'
      ? retryAt === Infinity
        ? `${circuit} is open until reset()`
        : `${circuit} is open; it retries in ${inMs(retryAt, now)} ms`
      : retryAt > now
        ? `${circuit} is half-open and its probes are all out; it decides in ${inMs(retryAt, now)} ms at the latest`
        : `${circuit} is half-open and its probes are all out; it decides when one settles`
  return new CircuitOpenError(key, retryAt, { message })
}

/** Milliseconds from `now` to `at`, rounded, never below 0. */
function inMs(at: number, now: number): number {
  return Math.max(0, Math.round(at - now))
}
