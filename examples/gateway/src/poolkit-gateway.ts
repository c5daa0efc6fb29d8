// The gateway built from poolkit as docs/recipes.md composes it ("Per-provider isolation for LLM API
// calls"): one pool, a fair queue by tenant, a keyed circuit breaker, a bulkhead and a rate limiter per
// provider, retries, a timeout per attempt, and the request's deadline as its signal.
import type { Breaker, BreakerDenial, TaskInfo, TaskQueue } from '@poolkit/core'
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
  /**
   * What the task's own `key` is: `'provider'` (the recipe's: the pool holds and wakes tasks by provider, and the
   * fair queue gets a view of each task keyed by tenant) or `'tenant'` (the fair queue's, and the provider policies
   * get a view keyed by provider).
   * @defaultValue 'provider'
   */
  readonly keyedBy?: 'provider' | 'tenant'
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
  const views = labelView('provider')
  const view = (task: TaskInfo): TaskInfo => views.view(task)
  const heldFor = new Map<string | undefined, Set<string | undefined>>()
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

/** A view of `task` whose `key` is its label `name`: made once per task, since the policies and queues track tasks by object. */
function labelView(name: string): { view(task: TaskInfo): TaskInfo; task(view: TaskInfo | undefined): TaskInfo | undefined } {
  const views = new WeakMap<TaskInfo, TaskInfo>()
  const tasks = new WeakMap<TaskInfo, TaskInfo>()
  return {
    view(task) {
      let v = views.get(task)
      if (v === undefined) {
        v = new Proxy(task, { get: (t, p) => (p === 'key' ? t.labels?.[name] : Reflect.get(t, p, t)) as unknown })
        views.set(task, v)
        tasks.set(v, task)
      }
      return v
    },
    task: (v) => (v === undefined ? undefined : tasks.get(v)),
  }
}

/**
 * Gives a queue its own view of each task: the task's tenant (`labels.tenant`) as its `key`, where the pool and
 * the provider policies see the provider; what it hands back is the pool's own task. What core's per-policy key
 * functions will replace.
 */
export function queueByTenant<T extends TaskInfo>(queue: TaskQueue): TaskQueue<T> {
  const views = labelView('tenant')
  const view = (t: TaskInfo): TaskInfo => views.view(t)
  const task = (v: TaskInfo | undefined): TaskInfo | undefined => views.task(v)
  return {
    get size() {
      return queue.size
    },
    push: (t) => queue.push(view(t)),
    shift: () => task(queue.shift()) as T | undefined,
    remove: (t) => queue.remove(view(t)),
    clear: () => queue.clear().map((v) => task(v) as T),
    ...(queue.unshift === undefined ? {} : { unshift: (t: T) => queue.unshift!(view(t)) }),
    ...(queue.peek === undefined ? {} : { peek: () => task(queue.peek!()) as T | undefined }),
    ...(queue.evict === undefined ? {} : { evict: () => task(queue.evict!()) as T | undefined }),
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
    const byTenant = (options.keyedBy ?? 'provider') === 'provider'
    const policies = combine(
      circuits,
      createBulkhead({ limits: { steady: s.steady.capacity, paced: 4, flaky: 16 } }), // calls in flight per provider
      createRateLimiter({ limits: { paced: { perSecond: s.paced.perSecond, ...(burst === undefined ? {} : { burst }) } } }), // last: a token only for a task that starts
    )
    const pool = createPool({
      name: 'gateway',
      // The attempt's timeout in the handler: the pool's taskTimeout also counts the time a task was held (by the rate
      // limiter's backlog, a full bulkhead), so a task held for most of it would start with a sliver of its timeout,
      // time out against a healthy provider, and the circuit would count that as the provider failing.
      handler: (request: Request, { signal }) => (onPool ? call(request, signal) : withTimeout(s.attemptTimeoutMs, signal, (t) => call(request, t))),
      // Takes turns between tenants: the quiet one never waits behind the noisy one's backlog.
      queue: byTenant ? queueByTenant(createFairQueue()) : createFairQueue(),
      breaker: byTenant ? policies : byProvider(policies),
      concurrency: 64,
      ...(onPool ? { taskTimeout: s.attemptTimeoutMs } : {}), // the deadline is the signal
      retry: { attempts: 3, backoff: { initialMs: 100 }, retryIf: (e) => !isClientError(e) }, // 5xx, timeouts and network errors; a 429 waits out its Retry-After without spending an attempt
    })
    const name = `poolkit (${[options.whenOpen ?? 'hold', ...(burst === 1 ? [] : [`burst ${burst ?? 'default'}`]), ...(onPool ? ['taskTimeout'] : []), ...(byTenant ? [] : ['tenant keys'])].join(', ')})`
    return {
      name,
      send: (request, signal) =>
        pool.run(request, byTenant ? { key: request.provider, labels: { tenant: request.tenant }, signal } : { key: request.tenant, labels: { provider: request.provider }, signal }),
      close: async () => {
        await pool.close()
      },
    }
  }
}
