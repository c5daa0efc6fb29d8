// The gateway built from poolkit as docs/recipes.md composes it ("Per-provider isolation for LLM API
// calls"): one pool whose tasks are keyed by tenant and labelled with their provider; a fair queue by
// tenant (the task's key); a circuit breaker, a bulkhead and a rate limiter per provider (each given
// `key: (task) => task.labels?.provider`); retries; a timeout per attempt; and the request's deadline
// as the task's `deadline` (no attempt starts past it, nor with less than the provider's slowest answer
// left: `minTimeLeftMs`) and `signal` (the caller stops waiting then).
import type { KeyFunction } from '@poolkit/core'
import { createPool } from '@poolkit/core'
import { combine, createBulkhead, createCircuitBreaker, createRateLimiter } from '@poolkit/breaker'
import { createFairQueue } from '@poolkit/queue'
import { isClientError, withTimeout, type GatewayFactory } from './call.js'
import type { Request } from './load.js'
import type { Scenario } from './scenario.js'

/** The poolkit gateway's variants. */
export interface PoolkitOptions {
  /**
   * What an open circuit does with its tasks: `'hold'` keeps them waiting until it lets probes through;
   * `'reject'` fails them with `CircuitOpenError`, which the pool retries when the circuit half-opens
   * (`retry.retryCircuitOpen`), spending an attempt.
   * @defaultValue 'hold' (as the recipe)
   */
  readonly whenOpen?: 'hold' | 'reject'
  /**
   * With `whenOpen: 'reject'`, whether a request an open circuit refused is retried when the circuit lets
   * probes through (`retry.retryCircuitOpen`); without, it fails at once with `CircuitOpenError`, as a
   * circuit breaker's callers usually get it.
   * @defaultValue true
   */
  readonly retryCircuitOpen?: boolean
  /**
   * Where the attempt timeout is: `'pool'` (the pool's `taskTimeout`, as the recipe has it; for a task with a
   * deadline only its run time counts) or `'handler'` (a timer of the handler's own around the call).
   * @defaultValue 'pool'
   */
  readonly attemptTimeout?: 'handler' | 'pool'
  /** The paced provider's limiter burst; `undefined` for the limiter's default (a tenth of `perSecond`). @defaultValue undefined */
  readonly burst?: number | undefined
  /**
   * Whether the request's deadline also goes to the pool as the task's `signal`, cutting a call still running
   * when it passes (the caller has stopped waiting): without it, a running call is left to its attempt timeout.
   * @defaultValue true
   */
  readonly cutAtDeadline?: boolean
  /**
   * Whether a request is started only with at least its provider's slowest answer (`serviceMs[1]`) left
   * before its deadline (`minTimeLeftMs`): one with less fails at once instead of spending a call and,
   * on the paced provider, a token that another request could have used.
   * @defaultValue true
   */
  readonly minTimeLeft?: boolean
}

/** Each provider policy groups tasks by the request's provider; the pool and the fair queue by tenant (the task's key). */
const provider: KeyFunction = (task) => task.labels?.provider

/** The poolkit gateway for a scenario. */
export function poolkitGateway(s: Scenario, options: PoolkitOptions = {}): GatewayFactory {
  return (_urls, call) => {
    const whenOpen = options.whenOpen ?? 'hold'
    const circuits = createCircuitBreaker({
      key: provider, // one circuit per provider
      failureThreshold: 5,
      openMs: 1_000,
      isFailure: (e) => !isClientError(e), // a 4xx (429 included) is not the provider being down
      whenOpen,
    })
    if (process.env.GATEWAY_DEBUG === '1') {
      const t0 = performance.now()
      for (const event of ['open', 'half-open', 'close'] as const) circuits.on(event, (e) => console.error(`${(performance.now() - t0).toFixed(0)} ms: ${e.key} ${e.from} -> ${e.to} (${e.reason})`))
    }
    const burst = options.burst
    const onPool = (options.attemptTimeout ?? 'pool') === 'pool'
    const cut = options.cutAtDeadline ?? true
    const retryOpen = options.retryCircuitOpen ?? true
    const pool = createPool({
      name: 'gateway',
      handler: (request: Request, { signal }) => (onPool ? call(request, signal) : withTimeout(s.attemptTimeoutMs, signal, (t) => call(request, t))),
      // Takes turns between tenants (the task's key): the quiet one never waits behind the noisy one's backlog.
      queue: createFairQueue(),
      breaker: combine(
        circuits,
        createBulkhead({ key: provider, limits: { steady: s.steady.capacity, paced: 4, flaky: 16 } }), // calls in flight per provider
        createRateLimiter({ key: provider, limits: { paced: { perSecond: s.paced.perSecond, ...(burst === undefined ? {} : { burst }) } } }), // last: a token only for a task that starts
      ),
      concurrency: 64,
      ...(onPool ? { taskTimeout: s.attemptTimeoutMs } : {}),
      // 5xx, timeouts and network errors; a 429 waits out its Retry-After without spending an attempt; an open
      // circuit's CircuitOpenError ('reject') is retried when it lets probes through.
      retry: { attempts: 3, backoff: { initialMs: 100 }, retryIf: (e) => !isClientError(e), retryCircuitOpen: whenOpen === 'reject' && retryOpen },
    })
    const minTimeLeft = options.minTimeLeft ?? true
    // The slowest answer of each provider: a request with less than that left could not be answered in time.
    const slowest: Record<string, number> = { steady: s.steady.serviceMs[1], paced: s.paced.serviceMs[1], flaky: s.flaky.serviceMs[1] }
    const name = `poolkit (${[whenOpen, ...(whenOpen === 'reject' && !retryOpen ? ['no retry'] : []), ...(burst === undefined ? [] : [`burst ${burst}`]), ...(onPool ? [] : ['handler timeout']), ...(cut ? [] : ['deadline not cutting']), ...(minTimeLeft ? [] : ['no minTimeLeftMs'])].join(', ')})`
    return {
      name,
      send: (request, signal, deadlineMs) =>
        pool.run(request, {
          key: request.tenant,
          labels: { provider: request.provider },
          deadlineMs,
          ...(minTimeLeft ? { minTimeLeftMs: Math.min(slowest[request.provider] ?? 0, deadlineMs) } : {}),
          ...(cut ? { signal } : {}),
        }),
      close: async () => {
        await pool.close()
      },
    }
  }
}
