import { EventEmitter } from 'node:events'
import { createCircuitBreaker, createRateLimiter } from '@poolkit/breaker'
import { createPool, createVirtualClock } from '@poolkit/core'
import type { TaskInfo } from '@poolkit/core'
import Bottleneck from 'bottleneck'
import { circuitBreaker, ConsecutiveBreaker, handleAll } from 'cockatiel'
import OpossumBreaker from 'opossum'
import PQueue from 'p-queue'
import { settings } from '../config.js'
import type { Contender, Runner } from '../contenders.js'
import { type Case, measure } from '../harness.js'
import { fmtPct, fmtRate, fmtRatio, median, printTable, relativeMad } from '../stats.js'

/** What the breaker suite measured, one field per table. */
export interface BreakerResult {
  /** B1: ns per guarded call with the circuit closed, by line name (see `LINE`). */
  readonly closedNs: Map<string, number>
  /** B2: ns per call refused by an open circuit, by line name. */
  readonly openNs: Map<string, number>
  /** B3: ns per admitted call of each rate limiter, by line name. */
  readonly limiterNs: Map<string, number>
  /** B3: tasks/s of no-op tasks through each limiter at concurrency `settings.breaker.poolConcurrency`, by line name. */
  readonly limiterRates: Map<string, number>
  /** B4: starts in the busiest 1 s window, by burst, at `perSecond` per second on the virtual clock. */
  readonly pacing: readonly PacingResult[]
}

export interface PacingResult {
  readonly algorithm: 'token-bucket' | 'sliding-window'
  readonly perSecond: number
  readonly burst: number | undefined
  readonly tasks: number
  /** The most starts in any window [t, t + 1000 ms). */
  readonly maxInWindow: number
  /** What the algorithm allows in one window: a full bucket plus what refills in it, or `perSecond` for the sliding window. */
  readonly bound: number
  /** When the last task started (ms on the virtual clock). */
  readonly lastStart: number
}

/** Line names, shared with the summary in main.ts. */
export const LINE = {
  floor: 'no breaker: await fn()',
  oursExecute: '@poolkit/breaker execute',
  oursKeyed: '@poolkit/breaker execute (keyed)',
  cockatiel: 'cockatiel execute',
  opossum: 'opossum fire',
  oursPoolPath: '@poolkit/breaker admit+acquire+onSuccess',
  oursAdmit: '@poolkit/breaker admit',
  oursLimiter: '@poolkit/breaker acquire+onSuccess',
  bottleneck: 'bottleneck schedule',
  pQueue: 'p-queue add (intervalCap)',
  poolBare: 'core pool, no limiter',
  poolLimited: 'core pool + createRateLimiter',
  bottleneckPool: 'bottleneck (maxConcurrent, reservoir)',
  pQueuePool: 'p-queue (concurrency, intervalCap)',
} as const

const KEY = 'provider-a'
/** Tokens enough that no line ever waits for one. */
const PLENTY = 1e9
/** Long enough that an open circuit stays open for the whole case (it half-opens after this). */
const OPEN_FOR_MS = 3_600_000

const done = Promise.resolve()

// Every guarded call runs the same function: a synchronous no-op (B1, B2).
const noop = (): void => {}
// Every limited task is an async no-op, as in the other suites (B3).
const asyncNoop = async (): Promise<void> => {}
/**
 * opossum reads `.then` of what its action returns (undefined throws there and
 * counts as a failure), so its no-op returns a promise made once, beforehand:
 * still no work and no allocation per call.
 */
const resolvedNoop = (): Promise<void> => done
const boom = new Error('provider down')
const fail = (): never => {
  throw boom
}

/** A task as the pool hands it to a breaker (TaskInfo's fields), reused for every call. */
function taskInfo(): TaskInfo {
  return { id: 1, priority: 1, key: KEY, name: undefined, attempt: 1, submittedAt: 0, enqueuedAt: 0, startedAt: -1, endedAt: -1, waitMs: 0, runMs: 0 }
}

/**
 * A contender whose line needs async set-up (opening a circuit takes awaited
 * failures): `open` starts it and every batch awaits it first, which costs one
 * microtask per batch of thousands of calls. `check` runs at close and throws if
 * the line did not do what it claims (a call let through a circuit said to be
 * open, a limiter that denied), so a wrong line cannot report a fast figure.
 */
function line(name: string, open: () => { ready: Promise<void>; batch(n: number): Promise<unknown> | void; close(): Promise<unknown> | void }): Contender {
  return {
    name,
    priorities: false,
    open(): Runner {
      const l = open()
      return {
        async batch(n) {
          await l.ready
          await l.batch(n)
        },
        close: () => l.close(),
      }
    },
  }
}

function expect(what: string, got: number, want: number): void {
  if (got !== want) throw new Error(`breaker suite: ${what}: ${got}, expected ${want}`)
}

// ---------------------------------------------------------------- B1: circuit closed

// Each line's loop is written out, as a caller would write it, so no shared
// helper's call site turns megamorphic. Each call is awaited before the next:
// one guarded request at a time, the way a caller uses a breaker.
const CLOSED: readonly Contender[] = [
  line(LINE.floor, () => ({
    ready: done,
    async batch(n) {
      // eslint-disable-next-line @typescript-eslint/await-thenable -- the floor: one await of a plain value per call, as the lines below pay
      for (let i = 0; i < n; i++) await noop()
    },
    close() {},
  })),
  line(LINE.oursExecute, () => {
    const cb = createCircuitBreaker({ failureThreshold: 5, openMs: 10_000 })
    return {
      ready: done,
      async batch(n) {
        for (let i = 0; i < n; i++) await cb.execute(KEY, noop)
      },
      close() {},
    }
  }),
  line(LINE.oursKeyed, () => {
    const cb = createCircuitBreaker({ failureThreshold: 5, openMs: 10_000, keyed: true })
    return {
      ready: done,
      async batch(n) {
        for (let i = 0; i < n; i++) await cb.execute(KEY, noop)
      },
      close() {},
    }
  }),
  line(LINE.cockatiel, () => {
    const policy = circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) })
    return {
      ready: done,
      async batch(n) {
        for (let i = 0; i < n; i++) await policy.execute(noop)
      },
      close() {},
    }
  }),
  line(LINE.opossum, () => {
    const breaker = opossum(resolvedNoop)
    return {
      ready: done,
      async batch(n) {
        for (let i = 0; i < n; i++) await breaker.fire()
      },
      close: () => breaker.shutdown(),
    }
  }),
  line(LINE.oursPoolPath, () => {
    const cb = createCircuitBreaker({ failureThreshold: 5, openMs: 10_000 })
    const task = taskInfo()
    let refused = 0
    return {
      ready: done,
      batch(n) {
        for (let i = 0; i < n; i++) {
          if (cb.admit(task) !== undefined || cb.acquire(task) !== undefined) refused++
          else cb.onSuccess(task, 0)
        }
      },
      close: () => expect(`${LINE.oursPoolPath} refused calls on a closed circuit`, refused, 0),
    }
  }),
]

/**
 * opossum with what costs timers switched off: no per-call timeout timer (ours
 * and cockatiel's have none), no percentile tracking, no snapshot interval, and
 * its bucket rotation driven by an emitter that never fires instead of an
 * interval. Its per-call rolling counters stay: that is its breaker.
 */
function opossum(action: () => Promise<void>): OpossumBreaker {
  return new OpossumBreaker(action, {
    timeout: false,
    resetTimeout: OPEN_FOR_MS,
    rollingPercentilesEnabled: false,
    enableSnapshots: false,
    rotateBucketController: new EventEmitter(),
  })
}

// ---------------------------------------------------------------- B2: circuit open

const OPEN: readonly Contender[] = [
  line(LINE.oursExecute, () => {
    const cb = createCircuitBreaker({ failureThreshold: 5, openMs: OPEN_FOR_MS })
    let calls = 0
    let refused = 0
    const ready = (async () => {
      for (let i = 0; i < 5; i++) await cb.execute(KEY, fail).catch(() => {})
    })()
    return {
      ready,
      async batch(n) {
        calls += n
        for (let i = 0; i < n; i++) {
          try {
            await cb.execute(KEY, noop)
          } catch {
            refused++
          }
        }
      },
      close: () => expect(`${LINE.oursExecute} calls refused by the open circuit`, refused, calls),
    }
  }),
  line(LINE.cockatiel, () => {
    const policy = circuitBreaker(handleAll, { halfOpenAfter: OPEN_FOR_MS, breaker: new ConsecutiveBreaker(5) })
    let calls = 0
    let refused = 0
    const ready = (async () => {
      for (let i = 0; i < 5; i++) await policy.execute(fail).catch(() => {})
    })()
    return {
      ready,
      async batch(n) {
        calls += n
        for (let i = 0; i < n; i++) {
          try {
            await policy.execute(noop)
          } catch {
            refused++
          }
        }
      },
      close: () => expect(`${LINE.cockatiel} calls refused by the open circuit`, refused, calls),
    }
  }),
  line(LINE.opossum, () => {
    const breaker = opossum(resolvedNoop)
    breaker.open()
    let calls = 0
    let refused = 0
    return {
      ready: done,
      async batch(n) {
        calls += n
        for (let i = 0; i < n; i++) {
          try {
            await breaker.fire()
          } catch {
            refused++
          }
        }
      },
      close() {
        breaker.shutdown()
        expect(`${LINE.opossum} calls refused by the open circuit`, refused, calls)
      },
    }
  }),
  line(LINE.oursAdmit, () => {
    const cb = createCircuitBreaker({ failureThreshold: 5, openMs: OPEN_FOR_MS })
    const task = taskInfo()
    let calls = 0
    let refused = 0
    const ready = (async () => {
      for (let i = 0; i < 5; i++) await cb.execute(KEY, fail).catch(() => {})
    })()
    return {
      ready,
      batch(n) {
        calls += n
        for (let i = 0; i < n; i++) if (cb.admit(task) !== undefined) refused++
      },
      close: () => expect(`${LINE.oursAdmit} calls refused by the open circuit`, refused, calls),
    }
  }),
]

// ---------------------------------------------------------------- B3: rate limiter

// Ours decides synchronously, as the pool calls it. The peers are schedulers:
// their decision is only reachable through a promise, and bottleneck defers
// every job through setTimeout(0), so awaiting each call would measure the
// 1 ms timer clamp. Their batches are submitted at once and awaited together.
const LIMITERS: readonly Contender[] = [
  line(LINE.oursLimiter, () => {
    const limiter = createRateLimiter({ limits: { [KEY]: { perSecond: PLENTY, burst: PLENTY } } })
    const task = taskInfo()
    let denied = 0
    return {
      ready: done,
      batch(n) {
        for (let i = 0; i < n; i++) {
          if (limiter.acquire(task) !== undefined) denied++
          else limiter.onSuccess(task, 0)
        }
      },
      close: () => expect(`${LINE.oursLimiter} denials with plenty of tokens`, denied, 0),
    }
  }),
  line(LINE.bottleneck, () => {
    const limiter = new Bottleneck({ reservoir: PLENTY, maxConcurrent: null, minTime: 0 })
    return {
      ready: done,
      batch(n) {
        const all = new Array<Promise<void>>(n)
        for (let i = 0; i < n; i++) all[i] = limiter.schedule(asyncNoop)
        return Promise.all(all)
      },
      close: () => limiter.disconnect(),
    }
  }),
  line(LINE.pQueue, () => {
    const queue = new PQueue({ intervalCap: PLENTY, interval: 1000 })
    return {
      ready: done,
      batch(n) {
        const all = new Array<Promise<void>>(n)
        for (let i = 0; i < n; i++) all[i] = queue.add(asyncNoop)
        return Promise.all(all)
      },
      close: () => queue.onIdle(),
    }
  }),
]

/** The same no-op tasks through a pool or scheduler at one concurrency, all submitted at once. */
const LIMITED_POOLS: readonly Contender[] = [
  {
    name: LINE.poolBare,
    priorities: false,
    open(concurrency) {
      const pool = createPool<number, void>({ handler: asyncNoop, concurrency })
      return {
        batch(n) {
          const all = new Array<Promise<void>>(n)
          for (let i = 0; i < n; i++) all[i] = pool.run(i, { key: KEY })
          return Promise.all(all)
        },
        close: () => pool.close(),
      }
    },
  },
  {
    name: LINE.poolLimited,
    priorities: false,
    open(concurrency) {
      const limiter = createRateLimiter({ limits: { [KEY]: { perSecond: PLENTY, burst: PLENTY } } })
      const pool = createPool<number, void>({ handler: asyncNoop, concurrency, breaker: limiter })
      return {
        batch(n) {
          const all = new Array<Promise<void>>(n)
          for (let i = 0; i < n; i++) all[i] = pool.run(i, { key: KEY })
          return Promise.all(all)
        },
        close: () => pool.close(),
      }
    },
  },
  {
    name: LINE.bottleneckPool,
    priorities: false,
    open(concurrency) {
      const limiter = new Bottleneck({ reservoir: PLENTY, maxConcurrent: concurrency, minTime: 0 })
      return {
        batch(n) {
          const all = new Array<Promise<void>>(n)
          for (let i = 0; i < n; i++) all[i] = limiter.schedule(asyncNoop)
          return Promise.all(all)
        },
        close: () => limiter.disconnect(),
      }
    },
  },
  {
    name: LINE.pQueuePool,
    priorities: false,
    open(concurrency) {
      const queue = new PQueue({ concurrency, intervalCap: PLENTY, interval: 1000 })
      return {
        batch(n) {
          const all = new Array<Promise<void>>(n)
          for (let i = 0; i < n; i++) all[i] = queue.add(asyncNoop)
          return Promise.all(all)
        },
        close: () => queue.onIdle(),
      }
    },
  },
]

// ---------------------------------------------------------------- B4: pacing

/** `tasks` no-op tasks of one key through a pool paced at `perSecond` on the virtual clock; the start times. */
async function pacing(tasks: number, perSecond: number, algorithm: PacingResult['algorithm'], burst: number | undefined): Promise<PacingResult> {
  const clock = createVirtualClock()
  const limiter = createRateLimiter({ clock, algorithm, limits: { [KEY]: burst === undefined ? { perSecond } : { perSecond, burst } } })
  // Before the first start, a key's tokens are its full bucket: the default burst when none is given.
  const bucket = algorithm === 'sliding-window' ? 1 : limiter.tokens(KEY)
  const starts: number[] = []
  const pool = createPool<number, void>({
    handler: async () => {
      starts.push(clock.now())
    },
    concurrency: 16,
    breaker: limiter,
    clock,
  })
  const all = new Array<Promise<void>>(tasks)
  for (let i = 0; i < tasks; i++) all[i] = pool.run(i, { key: KEY })
  await clock.runAll(tasks * 10)
  await Promise.all(all)
  await pool.close()
  expect(`B4 tasks started at ${perSecond}/s`, starts.length, tasks)
  starts.sort((a, b) => a - b)
  // Two pointers: for each start, how many starts fall in [it, it + 1000).
  let maxInWindow = 0
  for (let i = 0, j = 0; i < starts.length; i++) {
    while (j < starts.length && starts[j]! < starts[i]! + 1000) j++
    maxInWindow = Math.max(maxInWindow, j - i)
  }
  return { algorithm, perSecond, burst, tasks, maxInWindow, bound: bucket + perSecond - 1, lastStart: starts.at(-1)! }
}

// ---------------------------------------------------------------- the suite

function nsTable(title: string, cases: readonly Case[], samples: Map<string, number[]>, ours: string, floor?: string): Map<string, number> {
  const ns = new Map(cases.map((c) => [c.id, (median(samples.get(c.id)!) * 1e6) / c.tasks]))
  const own = ns.get(ours)!
  const floorNs = floor === undefined ? undefined : ns.get(floor)!
  const headers = ['line', 'ns/call', 'MAD', 'batches', 'ours vs this']
  if (floorNs !== undefined) headers.push('over floor (ns)', 'ours vs this, over floor')
  printTable(
    headers,
    cases.map((c) => {
      const ms = samples.get(c.id)!
      const row = [c.id, ns.get(c.id)!.toFixed(1), fmtPct(relativeMad(ms)), String(ms.length), c.id === ours ? '1.00x' : fmtRatio(ns.get(c.id)! / own)]
      if (floorNs !== undefined) {
        const over = ns.get(c.id)! - floorNs
        const ownOver = own - floorNs
        row.push(c.id === floor ? '' : over.toFixed(1), c.id === floor || c.id === ours ? '' : fmtRatio(over / ownOver))
      }
      return row
    }),
  )
  console.log(`${title}; "ours vs this" = its ns / the ns of ${ours}: above 1x, ours is faster`)
  return ns
}

/** Suite 7: `@poolkit/breaker`'s circuit breaker against cockatiel and opossum, its rate limiter against bottleneck and p-queue. */
export async function breaker(): Promise<BreakerResult> {
  const s = settings.breaker
  const run = { rounds: s.rounds, timeMs: s.timeMs, iterations: s.iterations, warmupMs: s.warmupMs, warmupIterations: s.warmupIterations }
  const calls = s.calls.toLocaleString('en-US')
  console.log('\n## 7. Breaker')

  console.log(`\n### B1. Admission check, circuit closed: ${calls} calls of a synchronous no-op per batch, each awaited before the next (the pool path: a synchronous loop)`)
  const closedCases: Case[] = CLOSED.map((c) => ({ id: c.name, contender: c, concurrency: 1, tasks: s.calls }))
  const closedSamples = await measure('breaker: closed', closedCases, run)
  process.stderr.write('\n')
  const closedNs = nsTable('floor = the same loop awaiting fn() with no breaker', closedCases, closedSamples, LINE.oursExecute, LINE.floor)

  console.log(`\n### B2. Rejection while open: ${calls} calls per batch refused by an open circuit (opened by 5 failures; opossum by open()), each awaited and caught`)
  const openCases: Case[] = OPEN.map((c) => ({ id: c.name, contender: c, concurrency: 1, tasks: s.calls }))
  const openSamples = await measure('breaker: open', openCases, run)
  process.stderr.write('\n')
  const openNs = nsTable('every line checks at close that each of its calls was refused', openCases, openSamples, LINE.oursExecute)

  console.log(`\n### B3. Rate limiter decision: ${calls} admitted calls per batch with plenty of tokens (ours synchronous; the peers submit the batch at once and await it)`)
  // bottleneck takes about 2.3 ms a job (below): its batches are smaller, so its line takes seconds, not minutes.
  const tasksOf = (name: string, n: number): number => (name.startsWith('bottleneck') ? s.bottleneckTasks : n)
  const limiterCases: Case[] = LIMITERS.map((c) => ({ id: c.name, contender: c, concurrency: 1, tasks: tasksOf(c.name, s.calls) }))
  const limiterSamples = await measure('breaker: limiter', limiterCases, run)
  process.stderr.write('\n')
  const limiterNs = nsTable(
    `limits of 1e9 per second (and 1e9 burst / reservoir / intervalCap); bottleneck's batches are ${s.bottleneckTasks} calls (it runs about one job per timer tick)`,
    limiterCases,
    limiterSamples,
    LINE.oursLimiter,
  )

  const poolTasks = s.poolTasks.toLocaleString('en-US')
  console.log(`\n### B3. Throughput through a limiter: batches of ${poolTasks} no-op async tasks at concurrency ${s.poolConcurrency}, submitted at once, awaited with Promise.all`)
  const poolCases: Case[] = LIMITED_POOLS.map((c) => ({ id: c.name, contender: c, concurrency: s.poolConcurrency, tasks: tasksOf(c.name, s.poolTasks) }))
  const poolSamples = await measure('breaker: limited pools', poolCases, s.pool)
  process.stderr.write('\n')
  const limiterRates = new Map(poolCases.map((c) => [c.id, (c.tasks * 1000) / median(poolSamples.get(c.id)!)]))
  const ownRate = limiterRates.get(LINE.poolLimited)!
  printTable(
    ['line', 'tasks/s (median)', 'ms/batch', 'MAD', 'batches', 'ours vs this'],
    poolCases.map((c) => {
      const ms = poolSamples.get(c.id)!
      return [c.id, fmtRate(limiterRates.get(c.id)!), `${median(ms).toFixed(2)} ms`, fmtPct(relativeMad(ms)), String(ms.length), fmtRatio(ownRate / limiterRates.get(c.id)!)]
    }),
  )
  console.log(
    `"ours vs this" = tasks/s of ${LINE.poolLimited} / its tasks/s: above 1x, ours is faster; the no-limiter line shows what the limiter costs the pool; bottleneck's batches are ${s.bottleneckTasks} tasks`,
  )

  console.log(`\n### B4. Pacing accuracy: ${s.pacingTasks} no-op tasks of one key at ${s.pacingPerSecond}/s through a core pool (concurrency 16) on core's virtual clock`)
  const pacingResults: PacingResult[] = []
  pacingResults.push(await pacing(s.pacingTasks, s.pacingPerSecond, 'token-bucket', 1))
  pacingResults.push(await pacing(s.pacingTasks, s.pacingPerSecond, 'token-bucket', undefined))
  pacingResults.push(await pacing(s.pacingTasks, s.pacingPerSecond, 'sliding-window', undefined))
  printTable(
    ['algorithm', 'burst', 'max starts in any 1 s window', 'allowed', 'last start'],
    pacingResults.map((p) => [
      p.algorithm,
      p.algorithm === 'sliding-window' ? '-' : p.burst === undefined ? `default (${p.bound - p.perSecond + 1})` : String(p.burst),
      String(p.maxInWindow),
      String(p.bound),
      `${(p.lastStart / 1000).toFixed(2)} s`,
    ]),
    2,
  )
  console.log(
    'a correctness line, not a race: virtual time, no real waiting. "allowed": a token bucket lets burst + perSecond - 1 starts into a 1 s window (a full bucket, then one refill ' +
      'every 1000 / perSecond ms), so with burst 1 the busiest window holds exactly perSecond; the sliding window allows perSecond in any 1,000 ms',
  )

  return { closedNs, openNs, limiterNs, limiterRates, pacing: pacingResults }
}
