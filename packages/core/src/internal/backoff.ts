import type { BackoffOptions } from '../pool-options.js'

/**
 * The delay before attempt `attempt + 1`, after `attempt` tries failed:
 * `initialMs * factor^(attempt-1)`, capped at `maxMs`, then jittered. `jitter` is
 * the share of the delay drawn at random ("full jitter" at 1, none at 0).
 */
export function backoffDelay(options: Required<BackoffOptions>, attempt: number, random: () => number): number {
  const base = Math.min(options.maxMs, options.initialMs * options.factor ** (attempt - 1))
  if (options.jitter === 0) return base
  return base * (1 - options.jitter) + base * options.jitter * random()
}
