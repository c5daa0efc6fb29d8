import type { Breaker, BreakerDenial, BreakerRetry } from '@poolkit/core'
import { objectWith } from './internal/validate.js'

const METHODS = ['admit', 'acquire', 'onSuccess', 'onFailure', 'onCancel'] as const

/**
 * Composes several admission policies into one `Breaker`, asked in the order given.
 *
 * - `admit`: the first denial wins and the policies after it are not asked. A
 *   denial that rejects (no `hold`) passes through with its `error`, and the
 *   policies before it that admitted the task get `onSettled` for it, as the
 *   pool will never report a task it refused.
 * - `acquire`: each policy in turn; when one denies, the ones that already
 *   granted get `onCancel` (they give their permits or tokens back) and its
 *   denial is the answer.
 * - `onSuccess`, `onCancel` and `onSettled` go to every policy; `onFailure`
 *   goes to every policy too, and when some answer with a retry, the latest
 *   `retryAt` is the verdict.
 * - `attach` hands the pool's `wake` to each policy that has `attach`.
 *
 * A policy that throws from a notification does not keep the others from
 * getting it; the first error is thrown after all have been called. A throw
 * from `admit` or `acquire` reaches the pool as it is (which reports it and
 * lets the task through, as it does for a single breaker).
 *
 * Put the cheap, strict policies first: a circuit breaker, then a bulkhead, then
 * a rate limiter, so a token is only taken for a task that will start.
 * @param policies - The policies, in the order they are asked.
 * @returns One `Breaker` to pass as the pool's `breaker` option.
 * @example
 * ```ts
 * const breaker = combine(
 *   createBulkhead({ limits: { openai: 10 } }),
 *   createRateLimiter({ clock, limits: { openai: { perSecond: 50 } } }),
 * )
 * const pool = createPool({ handler: callProvider, clock, concurrency: 32, breaker })
 * ```
 * @public
 */
export function combine(...policies: Breaker[]): Breaker {
  policies.forEach((policy, i) => objectWith(`combine() policies[${i}]`, policy, METHODS))
  const list = [...policies]

  return {
    admit(task): BreakerDenial | undefined {
      for (let i = 0; i < list.length; i++) {
        const denial = list[i]!.admit(task)
        if (denial === undefined) continue
        if (denial.hold !== true) for (let j = 0; j < i; j++) list[j]!.onSettled?.(task)
        return denial
      }
      return undefined
    },
    acquire(task): BreakerDenial | undefined {
      for (let i = 0; i < list.length; i++) {
        const denial = list[i]!.acquire(task)
        if (denial === undefined) continue
        for (let j = 0; j < i; j++) list[j]!.onCancel(task)
        return denial
      }
      return undefined
    },
    onSuccess(task, runMs) {
      each(list, (policy) => policy.onSuccess(task, runMs))
    },
    onFailure(task, error, runMs): BreakerRetry | undefined {
      let retry: BreakerRetry | undefined
      each(list, (policy) => {
        const verdict = policy.onFailure(task, error, runMs)
        if (isRetry(verdict) && (retry === undefined || verdict.retryAt > retry.retryAt)) retry = verdict
      })
      return retry
    },
    onCancel(task) {
      each(list, (policy) => policy.onCancel(task))
    },
    onSettled(task) {
      each(list, (policy) => policy.onSettled?.(task))
    },
    attach(wake) {
      each(list, (policy) => policy.attach?.(wake))
    },
  }
}

/**
 * Calls `fn` for every policy even when one throws, then throws the first
 * error: a policy that fails must not keep the others' permits from coming back.
 */
function each(list: readonly Breaker[], fn: (policy: Breaker) => void): void {
  let failed = false
  let first: unknown
  for (const policy of list) {
    try {
      fn(policy)
    } catch (error) {
      if (!failed) {
        failed = true
        first = error
      }
    }
  }
  if (failed) throw first
}

function isRetry(value: unknown): value is BreakerRetry {
  return typeof value === 'object' && value !== null && typeof (value as BreakerRetry).retryAt === 'number' && !Number.isNaN((value as BreakerRetry).retryAt)
}
