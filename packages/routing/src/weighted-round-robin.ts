import type { WorkerInfo, WorkerSelector } from '@poolkit/core'
import { describeValue } from '@poolkit/core/validate'
import { lessBusy } from './internal/order.js'

/**
 * The weights of {@link weightedRoundRobin}: by worker id (`{ 1: 3, 2: 1 }`;
 * workers not listed weigh 1), or a function of the worker, called once when it
 * starts (workers that replace others or join later get theirs the same way).
 * Every weight is a positive finite number.
 * @public
 */
export type WorkerWeights = Readonly<Record<number, number>> | ((worker: WorkerInfo) => number)

/** One worker's weight and its current (smoothed) weight. */
interface Peer {
  readonly weight: number
  current: number
}

function isWeight(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0
}

/**
 * Weighted round robin, smooth (nginx's algorithm): each worker gets tasks in
 * proportion to its weight, interleaved rather than in runs (weights 5, 1, 1
 * give `a a b a c a a`, not `a a a a a b c`). For each task, every candidate's
 * current weight grows by its weight; the highest current weight wins (ties to
 * {@link leastBusy}'s order) and gives back the candidates' total. A worker
 * without room is skipped for that task and gains nothing meanwhile.
 *
 * The weights shape the share of tasks wherever several workers have room (an
 * under-loaded pool, or workers that hold several tasks each, as `threads()`
 * workers do with `prefetch`). With one task per worker and a backlog, the
 * worker that frees up is the only candidate, so each worker takes tasks as
 * fast as it runs them whatever its weight.
 *
 * Its state is two numbers per live worker, dropped when the worker exits.
 * poolifier's `WEIGHTED_ROUND_ROBIN` (also `INTERLEAVED_WEIGHTED_ROUND_ROBIN`,
 * whose interleaving this has).
 * @param weights - by worker id, or a function of the worker; see {@link WorkerWeights}.
 * Checked now (a record) or as each worker starts (a function: a bad weight
 * is reported on the pool's `error` event and the worker weighs 1).
 * @returns A `WorkerSelector` to pass as the pool's `selector` option.
 * @example
 * ```ts
 * import { createPool } from '@poolkit/core'
 * import { weightedRoundRobin } from '@poolkit/routing'
 *
 * // Worker 1 takes three tasks for each one worker 2 takes.
 * const pool = createPool({ handler: async (x: number) => x, concurrency: 2, selector: weightedRoundRobin({ 1: 3, 2: 1 }) })
 * ```
 * @public
 */
export function weightedRoundRobin(weights: WorkerWeights): WorkerSelector {
  const byId = new Map<number, number>()
  let weightOf: ((worker: WorkerInfo) => number) | undefined
  if (typeof weights === 'function') {
    weightOf = weights
  } else if (typeof weights === 'object' && weights !== null && !Array.isArray(weights)) {
    for (const id of Object.keys(weights)) {
      const n = Number(id)
      if (!Number.isInteger(n) || n < 1) throw new TypeError(`weights must be keyed by worker id (a positive integer), got the key ${JSON.stringify(id)}`)
      const weight = (weights as Record<string, unknown>)[id]
      if (!isWeight(weight)) throw new TypeError(`weights[${id}] must be a positive finite number, got ${describeValue(weight)}`)
      byId.set(n, weight)
    }
  } else {
    throw new TypeError(`weights must be an object of weights by worker id or a function of the worker, got ${describeValue(weights)}`)
  }

  const peers = new Map<number, Peer>()
  /** Learns a worker's weight: 1 where a function gives no valid one (the error is returned, for the hook to report). */
  const learn = (worker: WorkerInfo): { peer: Peer; error: TypeError | undefined } => {
    let weight = byId.get(worker.id) ?? 1
    let error: TypeError | undefined
    if (weightOf !== undefined) {
      try {
        const given = weightOf(worker)
        if (isWeight(given)) weight = given
        else error = new TypeError(`weights(worker ${worker.id}) must return a positive finite number, got ${describeValue(given)}; the worker weighs 1`)
      } catch (thrown) {
        error = new TypeError(`weights(worker ${worker.id}) threw; the worker weighs 1`, { cause: thrown })
      }
    }
    const peer: Peer = { weight, current: 0 }
    peers.set(worker.id, peer)
    return { peer, error }
  }

  return {
    select(candidates: readonly WorkerInfo[]): WorkerInfo | undefined {
      // One candidate: it would gain its weight and give back the total, its own weight, so no
      // credit changes (a busy pool, where workers free up one at a time, asks this most).
      if (candidates.length === 1) return candidates[0]
      let best: WorkerInfo | undefined
      let bestPeer: Peer | undefined
      let total = 0
      for (let i = 0; i < candidates.length; i++) {
        const c = candidates[i]!
        // A worker the hooks did not announce (a selector used outside core's pool) is learnt here.
        const peer = peers.get(c.id) ?? learn(c).peer
        peer.current += peer.weight
        total += peer.weight
        if (bestPeer === undefined || peer.current > bestPeer.current || (peer.current === bestPeer.current && lessBusy(c, best!))) {
          best = c
          bestPeer = peer
        }
      }
      if (bestPeer !== undefined) bestPeer.current -= total
      return best
    },
    onWorkerStarted(worker: WorkerInfo): void {
      const { error } = learn(worker)
      if (error !== undefined) throw error
    },
    onWorkerExited(worker: WorkerInfo): void {
      peers.delete(worker.id)
    },
  }
}
