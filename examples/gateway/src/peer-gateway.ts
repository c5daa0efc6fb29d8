// The gateway a competent user assembles from the popular libraries instead: a p-queue per provider
// (concurrency = the provider's capacity; the paced one also with intervalCap/interval), cockatiel's
// circuit breaker, retry and timeout per provider, and (variant) bottleneck pacing the rate-limited one.
// Its best settings, found by trying (README "The peer's settings"): the paced provider at one start
// every 50 ms (intervalCap 1 / interval 50, or bottleneck's minTime 50), not 20 per 1,000 ms windows
// (a burst of 20 at each window's start draws 429s); a 429 pauses that provider's queue for the
// Retry-After and puts the call back at the front, without spending a retry; deadline aborts are not
// counted as failures by the breaker.
import { setMaxListeners } from 'node:events'
import Bottleneck from 'bottleneck'
import {
  BrokenCircuitError,
  circuitBreaker,
  ConsecutiveBreaker,
  DelegateBackoff,
  handleWhen,
  retry,
  timeout,
  TimeoutStrategy,
  type CircuitBreakerPolicy,
  type IRetryBackoffContext,
  type RetryPolicy,
  type TimeoutPolicy,
} from 'cockatiel'
import PQueue from 'p-queue'
import { DeadlineError, isClientError, ProviderError, type GatewayFactory } from './call.js'
import type { Request } from './load.js'
import { PROVIDERS, type ProviderName, type Scenario } from './scenario.js'

/** The circuit's open time, as poolkit's `openMs`. */
const HALF_OPEN_AFTER_MS = 1_000

/** Which library paces the rate-limited provider. */
export type Pacer = 'p-queue' | 'bottleneck' | 'p-queue-window' | 'p-queue-strict'

/** The wait a 429 asks for, from its `Retry-After` (seconds), in ms; 1 s when absent. */
function retryAfterMs(e: ProviderError): number {
  const s = Number(e.headers.get('retry-after'))
  return Number.isFinite(s) && s >= 0 ? s * 1000 : 1000
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error)
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal.reason as Error)
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** One provider's lane: runs `fn` when the provider may take another call; `pause(ms)` after a 429. */
interface Lane {
  run(fn: (signal: AbortSignal) => Promise<void>, signal: AbortSignal, first: boolean): Promise<void>
  pause(ms: number): void
  close(): Promise<void>
}

function pQueueLane(options: ConstructorParameters<typeof PQueue>[0]): Lane {
  const queue = new PQueue(options)
  let resume: ReturnType<typeof setTimeout> | undefined
  return {
    // p-queue drops a queued call whose signal aborts; `first` (a call coming back after a 429) goes ahead of new ones.
    run: (fn, signal, first) => queue.add(({ signal: s }) => fn(s ?? signal), { signal, priority: first ? 1 : 0 }),
    pause(ms) {
      queue.pause()
      clearTimeout(resume)
      resume = setTimeout(() => queue.start(), ms)
    },
    async close() {
      clearTimeout(resume)
      queue.clear()
      await queue.onIdle()
    },
  }
}

function bottleneckLane(s: Scenario): Lane {
  const limiter = new Bottleneck({ maxConcurrent: 4, minTime: 1000 / s.paced.perSecond })
  let pausedUntil = 0
  return {
    // Bottleneck takes no signal: a job checks its deadline when it starts, and the caller stops waiting at the deadline.
    run: (fn, signal, first) =>
      new Promise<void>((resolve, reject) => {
        const onAbort = (): void => reject(signal.reason as Error)
        if (signal.aborted) return onAbort()
        signal.addEventListener('abort', onAbort, { once: true })
        limiter
          .schedule({ priority: first ? 4 : 5 }, async () => {
            if (pausedUntil > performance.now()) await sleep(pausedUntil - performance.now(), signal)
            if (signal.aborted) throw signal.reason
            return fn(signal)
          })
          .then(resolve, reject)
          .finally(() => signal.removeEventListener('abort', onAbort))
      }),
    pause(ms) {
      pausedUntil = Math.max(pausedUntil, performance.now() + ms)
    },
    async close() {
      await limiter.stop({ dropWaitingJobs: true }).catch(() => {})
    },
  }
}

/**
 * The peer gateway for a scenario; `pacer` picks what paces the rate-limited provider: p-queue at one start every
 * 50 ms (the best found), bottleneck (`minTime: 50`), or p-queue with the provider's rate as one window
 * (`intervalCap: 20, interval: 1000`, fixed windows or `strict`), the settings tried and left.
 */
export function peerGateway(s: Scenario, pacer: Pacer = 'p-queue'): GatewayFactory {
  return (_urls, call) => {
    const lanes: Record<ProviderName, Lane> = {
      steady: pQueueLane({ concurrency: s.steady.capacity }),
      paced:
        pacer === 'bottleneck'
          ? bottleneckLane(s)
          : pacer === 'p-queue'
            ? pQueueLane({ concurrency: 4, intervalCap: 1, interval: 1000 / s.paced.perSecond })
            : pQueueLane({ concurrency: 4, intervalCap: s.paced.perSecond, interval: 1000, strict: pacer === 'p-queue-strict' }),
      flaky: pQueueLane({ concurrency: 16 }),
    }
    // Per provider: retry (5xx, timeouts, network errors, an open circuit) around the breaker around the attempt's timeout.
    // A call cut by its request's deadline is not the provider failing: it reaches the breaker as a DeadlineError, which it ignores.
    const notCounted = (e: Error): boolean => !isClientError(e) && !(e instanceof DeadlineError)
    const policies = Object.fromEntries(
      PROVIDERS.map((p) => {
        const breaker = circuitBreaker(handleWhen(notCounted), { halfOpenAfter: HALF_OPEN_AFTER_MS, breaker: new ConsecutiveBreaker(5) })
        let openedAt = -Infinity
        breaker.onBreak(() => (openedAt = performance.now()))
        // An open circuit is retried when it lets a probe through (not after 100 ms, when it is still open);
        // anything else after 100 ms, 200 ms... The request's deadline ends the retries.
        const backoff = new DelegateBackoff<IRetryBackoffContext<unknown>>((context) =>
          'error' in context.result && context.result.error instanceof BrokenCircuitError
            ? Math.max(10, openedAt + HALF_OPEN_AFTER_MS - performance.now() + 10 * Math.random())
            : Math.min(1_000, 100 * 2 ** (context.attempt - 1)),
        )
        return [p, { breaker, retryPolicy: retry(handleWhen(notCounted), { maxAttempts: 4, backoff }), attemptTimeout: timeout(s.attemptTimeoutMs, TimeoutStrategy.Aggressive) }]
      }),
    ) as Record<ProviderName, { breaker: CircuitBreakerPolicy; retryPolicy: RetryPolicy; attemptTimeout: TimeoutPolicy }>

    const work = async (request: Request, signal: AbortSignal): Promise<void> => {
      const lane = lanes[request.provider]
      const { breaker, retryPolicy, attemptTimeout } = policies[request.provider]
      const attempt = (laneSignal: AbortSignal): Promise<void> =>
        breaker.execute(async ({ signal: b }) => {
          // While a circuit is half-open, cockatiel hands the calls it lets through one shared signal, and each
          // call's timeout listens to it: past Node's default of 10 listeners, a leak warning that is not a leak.
          setMaxListeners(256, b)
          try {
            await attemptTimeout.execute(({ signal: t }) => call(request, t), b)
          } catch (e) {
            throw signal.aborted ? new DeadlineError(e) : e
          }
        }, laneSignal)
      await retryPolicy.execute(async ({ signal: retrySignal }) => {
        // A 429 pauses the provider's lane for its Retry-After and queues the call again at the front: not a retry.
        for (let first = false; ; first = true) {
          try {
            return await lane.run(attempt, retrySignal, first)
          } catch (e) {
            if (!(e instanceof ProviderError && e.status === 429)) throw e
            lane.pause(retryAfterMs(e))
          }
        }
      }, signal)
    }
    // The caller stops waiting at the deadline even where a library does not (cockatiel's retry sleeps out
    // its backoff before it looks at the signal; bottleneck takes no signal).
    const send = (request: Request, signal: AbortSignal): Promise<void> => {
      return new Promise<void>((resolve, reject) => {
        const onAbort = (): void => reject(signal.reason as Error)
        signal.addEventListener('abort', onAbort, { once: true })
        work(request, signal)
          .then(resolve, reject)
          .finally(() => signal.removeEventListener('abort', onAbort))
      })
    }
    return {
      name: `peer (${pacer})`,
      send,
      close: async () => {
        await Promise.all(Object.values(lanes).map((l) => l.close()))
      },
    }
  }
}
