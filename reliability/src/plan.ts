// Which fault each task carries, drawn from a seeded generator so a failing run
// can be replayed exactly (fault-run.ts says the outcome each must end in).
import { seededRandom } from '@poolkit/core/testing'

/**
 * What a task does in the worker (see fixtures/faults.worker.mjs):
 * - `ok`: returns its index;
 * - `kill`: exits its worker on the first attempt, succeeds on the retry;
 * - `kill-always`: exits its worker on every attempt;
 * - `hang`: never settles, ignoring its signal, so its timeout ends it;
 * - `abort`: never settles; the caller aborts it;
 * - `transient`: throws a retryable error on the first attempt, succeeds on the retry;
 * - `throw`: throws an error that is not retried.
 */
export type FaultKind = 'ok' | 'kill' | 'kill-always' | 'hang' | 'abort' | 'transient' | 'throw'

/** The share of tasks carrying each fault: 1% kill their worker, 1% hang, 1% are aborted, 2% throw. */
export const RATES: Readonly<Record<Exclude<FaultKind, 'ok'>, number>> = {
  kill: 0.005,
  'kill-always': 0.005,
  hang: 0.01,
  abort: 0.01,
  transient: 0.01,
  throw: 0.01,
}

/** The fault of each of `tasks` tasks, drawn with `seed`. */
export function planFaults(tasks: number, seed: number): FaultKind[] {
  const random = seededRandom(seed)
  const kinds = Object.entries(RATES) as [Exclude<FaultKind, 'ok'>, number][]
  const plan: FaultKind[] = []
  for (let i = 0; i < tasks; i++) {
    let r = random()
    let kind: FaultKind = 'ok'
    for (const [k, rate] of kinds) {
      if (r < rate) {
        kind = k
        break
      }
      r -= rate
    }
    plan.push(kind)
  }
  return plan
}

/** How many tasks carry each fault. */
export function countKinds(plan: readonly FaultKind[]): Record<FaultKind, number> {
  const counts: Record<FaultKind, number> = { ok: 0, kill: 0, 'kill-always': 0, hang: 0, abort: 0, transient: 0, throw: 0 }
  for (const kind of plan) counts[kind]++
  return counts
}
