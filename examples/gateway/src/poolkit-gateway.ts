// The gateway built from poolkit as docs/recipes.md composes it ("Per-provider isolation for LLM API
// calls"): one pool, a fair queue by tenant, a keyed circuit breaker, a bulkhead and a rate limiter per
// provider, retries, a timeout per attempt, and the request's deadline as its signal.
import type { Breaker, BreakerDenial, TaskInfo } from '@poolkit/core'
import { createPool } from '@poolkit/core'
import { combine, createBulkhead, createCircuitBreaker, createRateLimiter } from '@poolkit/breaker'
import { createFairQueue } from '@poolkit/queue'
import { isClientError, withTimeout, type GatewayFactory } from './call.js'
import type { Request } from './load.js'
import type { Scenario } from './scenario.js'

/** The poolkit gateway's variants: what an open circuit does with its tasks, and the limiter's burst. */
export interface PoolkitOptions {
  /** @defaultValue 'hold' (as the recipe) */
  readonly whenOpen?: 'hold' | 'reject'
  /**
   * Where the attempt timeout is: `'handler'` (a timer of the handler's own around the call) or `'pool'` (the
   * pool's `taskTimeout`, as the recipe has it, which also counts the time the breaker held the task).
   * @defaultValue 'handler'
   */
  readonly attemptTimeout?: 'handler' | 'pool'
  /** The paced provider's limiter burst; `undefined` for the limiter's default (`perSecond`). @defaultValue 1 */
  readonly burst?: number | undefined
}

/**
 * Gives `policy` its own view of each task: the task's provider (`labels.provider`) as its `key`, where the
 * pool and the fair queue see the tenant. The view is made once per task (the policies track grants and
 * permits by task object), and a wake for a provider wakes the tenants that have tasks held for it (the
 * pool holds tasks by their own key, the tenant). What core's per-policy key functions will replace.
 */
export function byProvider(policy: Breaker): Breaker {
  const views = new WeakMap<TaskInfo, TaskInfo>()
  const heldFor = new Map<string | undefined, Set<string | undefined>>()
  const view = (task: TaskInfo): TaskInfo => {
    let v = views.get(task)
    if (v === undefined) views.set(task, (v = new Proxy(task, { get: (t, p) => (p === 'key' ? t.labels?.provider : Reflect.get(t, p, t)) as unknown })))
    return v
  }
  const note = (task: TaskInfo, denial: BreakerDenial | undefined): BreakerDenial | undefined => {
    if (denial?.hold === true) {
      const provider = task.labels?.provider
      const tenants = heldFor.get(provider)
      if (tenants === undefined) heldFor.set(provider, new Set([task.key]))
      else tenants.add(task.key)
    }
    return denial
  }
  return {
    admit: (task) => note(task, policy.admit(view(task))),
    acquire: (task) => note(task, policy.acquire(view(task))),
    onSuccess: (task, ms) => policy.onSuccess(view(task), ms),
    onFailure: (task, error, ms) => policy.onFailure(view(task), error, ms),
    onCancel: (task) => policy.onCancel(view(task)),
    onSettled: (task) => policy.onSettled?.(view(task)),
    attach: (wake) =>
      policy.attach?.((provider) => {
        const tenants = provider === undefined ? [undefined] : [...(heldFor.get(provider) ?? [])]
        heldFor.delete(provider)
        for (const tenant of tenants) wake(tenant)
      }),
  }
}

/** The poolkit gateway for a scenario. */
export function poolkitGateway(s: Scenario, options: PoolkitOptions = {}): GatewayFactory {
  return (_urls, call) => {
    const circuits = createCircuitBreaker({
      keyed: true, // one circuit per provider (the view's key)
      failureThreshold: 5,
      openMs: 1_000,
      isFailure: (e) => !isClientError(e), // a 4xx (429 included) is not the provider being down
      whenOpen: options.whenOpen ?? 'hold',
    })
    if (process.env.GATEWAY_DEBUG === '1') {
      const t0 = performance.now()
      for (const event of ['open', 'half-open', 'close'] as const) circuits.on(event, (e) => console.error(`${(performance.now() - t0).toFixed(0)} ms: ${e.key} ${e.from} -> ${e.to} (${e.reason})`))
    }
    const burst = 'burst' in options ? options.burst : 1
    const onPool = options.attemptTimeout === 'pool'
    const pool = createPool({
      name: 'gateway',
      // The attempt's timeout in the handler: the pool's taskTimeout also counts the time a task was held (by the rate
      // limiter's backlog, a full bulkhead), so a task held for most of it would start with a sliver of its timeout,
      // time out against a healthy provider, and the circuit would count that as the provider failing.
      handler: (request: Request, { signal }) => (onPool ? call(request, signal) : withTimeout(s.attemptTimeoutMs, signal, (t) => call(request, t))),
      queue: createFairQueue(), // takes turns between tenants: the quiet one never waits behind the noisy one's backlog
      breaker: byProvider(
        combine(
          circuits,
          createBulkhead({ limits: { steady: s.steady.capacity, paced: 4, flaky: 16 } }), // calls in flight per provider
          createRateLimiter({ limits: { paced: { perSecond: s.paced.perSecond, ...(burst === undefined ? {} : { burst }) } } }), // last: a token only for a task that starts
        ),
      ),
      concurrency: 64,
      ...(onPool ? { taskTimeout: s.attemptTimeoutMs } : {}), // the deadline is the signal
      retry: { attempts: 3, backoff: { initialMs: 100 }, retryIf: (e) => !isClientError(e) }, // 5xx, timeouts and network errors; a 429 waits out its Retry-After without spending an attempt
    })
    const name = `poolkit (${[options.whenOpen ?? 'hold', ...(burst === 1 ? [] : [`burst ${burst ?? 'default'}`]), ...(onPool ? ['taskTimeout'] : [])].join(', ')})`
    return {
      name,
      send: (request, signal) => pool.run(request, { key: request.tenant, labels: { provider: request.provider }, signal }),
      close: async () => {
        await pool.close()
      },
    }
  }
}
