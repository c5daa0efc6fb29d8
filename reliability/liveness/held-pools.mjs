// The three ways @poolkit/breaker holds a task aside in a pool, for the held-*
// scenarios. Each pool runs in-process tasks of one key, 'provider', and comes
// with an opener: a first task that makes the next ones wait.
//
// - circuit: a keyed circuit breaker with whenOpen 'hold' (openMs 60 s unless
//   given) and a handler that always fails; the opener's failure opens the circuit.
// - bulkhead: one task of the key at a time; the opener holds the place
//   (input 'hang' never settles, 'slow' takes 300 ms).
// - rate: a token bucket of one start per 5 s; the opener takes the token.
import { createPool } from '@poolkit/core'
import { createBulkhead, createCircuitBreaker, createRateLimiter } from '@poolkit/breaker'

export const key = 'provider'

export class ProviderError extends Error {
  name = 'ProviderError'
  code = 'E_PROVIDER'
}

const breakers = {
  circuit: (openMs) => createCircuitBreaker({ keyed: true, failureThreshold: 1, openMs, whenOpen: 'hold' }),
  bulkhead: () => createBulkhead({ defaultLimit: 1 }),
  rate: () => createRateLimiter({ defaultLimit: { perSecond: 0.2, burst: 1 } }),
}

async function handler(input) {
  if (input === 'hang') return new Promise(() => {})
  if (input === 'slow') await new Promise((resolve) => setTimeout(resolve, 300))
  if (this.kind === 'circuit') throw new ProviderError(`503 from the provider for ${input}`)
  return `done ${input}`
}

/** A pool of `kind` ('circuit', 'bulkhead' or 'rate') and its opener. */
export function heldPool(kind, { opener = kind === 'bulkhead' ? 'hang' : 'open', openMs = 60_000 } = {}) {
  if (!(kind in breakers)) throw new TypeError(`unknown kind ${kind}`)
  const pool = createPool({ handler: handler.bind({ kind }), concurrency: 4, breaker: breakers[kind](openMs) })
  return { pool, opener: () => pool.run(opener, { key }) }
}
