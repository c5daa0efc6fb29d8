import { createResourcePool } from '@poolkit/resource'
import { createPool as createGenericPool } from 'generic-pool'
import { Pool as TarnPool } from 'tarn'
import { quick, settings } from '../config.js'
import type { Contender, Runner } from '../contenders.js'
import { type Case, measure } from '../harness.js'
import { fmtPct, fmtRatio, median, printTable, relativeMad } from '../stats.js'
import { versionOf } from '../thread-harness.js'

/** What the resource suite measured: ns per acquire + release (or per `use`), by line name (see `RESOURCE_LINE`). */
export interface ResourceResult {
  /** R1: one caller, each acquire released before the next. */
  readonly sequentialNs: Map<string, number>
  /** R2: `users` callers sharing `max` resources, each holding its resource across one await. */
  readonly contendedNs: Map<string, number>
  /** R3: the same callers through `use(fn)` (tarn has none: acquire, try, finally release). */
  readonly useNs: Map<string, number>
  /** Callers in R2 and R3. */
  readonly users: number
  /** Each pool's `max`. */
  readonly max: number
}

/** Line names, shared with results.ts. */
export const RESOURCE_LINE = {
  ours: '@poolkit/resource',
  genericPool: 'generic-pool (acquireTimeoutMillis 30000)',
  genericPoolNoTimeout: 'generic-pool (no acquire timeout)',
  tarn: 'tarn',
} as const

/** The acquire timeout every line that has one runs with: tarn's default, and a usual production setting. */
const ACQUIRE_TIMEOUT_MS = 30_000
/** Long enough that no resource is evicted while a case runs. */
const IDLE_TIMEOUT_MS = 600_000

interface Conn {
  readonly id: number
  uses: number
}

// Every pool makes the same resource: a small object, created by an async function.
let nextConn = 1
const create = async (): Promise<Conn> => ({ id: nextConn++, uses: 0 })
const destroy = async (): Promise<void> => {}

type Mode = 'sequential' | 'contended' | 'use'

/**
 * Counts each line's cycles and the most resources it held at once; `check`
 * runs at close and throws if the line skipped work or let more than `max`
 * callers hold a resource at the same time, so a broken line cannot report a
 * fast figure.
 */
class Tally {
  cycles = 0
  held = 0
  peak = 0
  expected = 0

  take(): void {
    if (++this.held > this.peak) this.peak = this.held
  }

  check(name: string, max: number): void {
    if (this.cycles !== this.expected) throw new Error(`resource suite: ${name} ran ${this.cycles} cycles, expected ${this.expected}`)
    if (this.peak > max) throw new Error(`resource suite: ${name} lent ${this.peak} resources at once, max is ${max}`)
    if (this.held !== 0) throw new Error(`resource suite: ${name} still holds ${this.held} resources`)
  }
}

/** `users` concurrent loops sharing `n` cycles, awaited together. */
function spread(n: number, users: number, loop: (cycles: number) => Promise<void>): Promise<unknown> {
  const all = new Array<Promise<void>>(users)
  for (let u = 0; u < users; u++) all[u] = loop(Math.floor(n / users) + (u < n % users ? 1 : 0))
  return Promise.all(all)
}

/**
 * A contender whose pool is warmed before measuring (every line gets `max`
 * resources created by an untimed first batch), and whose batch is one of the
 * three modes. Each line's loops are written out, as a caller would write them,
 * so no shared helper's call site turns megamorphic.
 */
function contender(name: string, mode: Mode, open: (max: number, tally: Tally) => { batch(n: number): Promise<unknown>; close(): Promise<unknown> }): Contender {
  return {
    name,
    priorities: false,
    open(max): Runner {
      const tally = new Tally()
      const line = open(max, tally)
      return {
        batch(n) {
          tally.expected += n
          return line.batch(n)
        },
        async close() {
          await line.close()
          tally.check(`${name} (${mode})`, max)
        },
      }
    },
  }
}

function ours(mode: Mode): Contender {
  return contender(RESOURCE_LINE.ours, mode, (max, tally) => {
    const pool = createResourcePool({ create, destroy, max, idleTimeoutMs: IDLE_TIMEOUT_MS, acquireTimeoutMs: ACQUIRE_TIMEOUT_MS })
    const users = settings.resource.users
    const batch =
      mode === 'sequential'
        ? async (n: number) => {
            for (let i = 0; i < n; i++) {
              const lease = await pool.acquire()
              tally.take()
              lease.resource.uses++
              tally.held--
              lease.release()
              tally.cycles++
            }
          }
        : mode === 'contended'
          ? (n: number) =>
              spread(n, users, async (cycles) => {
                for (let i = 0; i < cycles; i++) {
                  const lease = await pool.acquire()
                  tally.take()
                  // eslint-disable-next-line @typescript-eslint/await-thenable -- a microtask's pause while holding the resource
                  await null
                  lease.resource.uses++
                  tally.held--
                  lease.release()
                  tally.cycles++
                }
              })
          : (n: number) => {
              const fn = async (conn: Conn): Promise<void> => {
                tally.take()
                // eslint-disable-next-line @typescript-eslint/await-thenable -- a microtask's pause while holding the resource
                await null
                conn.uses++
                tally.held--
                tally.cycles++
              }
              return spread(n, users, async (cycles) => {
                for (let i = 0; i < cycles; i++) await pool.use(fn)
              })
            }
    return { batch, close: () => pool.drain() }
  })
}

function genericPool(mode: Mode, timeout: boolean): Contender {
  return contender(timeout ? RESOURCE_LINE.genericPool : RESOURCE_LINE.genericPoolNoTimeout, mode, (max, tally) => {
    const pool = createGenericPool<Conn>(
      { create, destroy },
      timeout ? { max, idleTimeoutMillis: IDLE_TIMEOUT_MS, acquireTimeoutMillis: ACQUIRE_TIMEOUT_MS } : { max, idleTimeoutMillis: IDLE_TIMEOUT_MS },
    )
    const users = settings.resource.users
    const batch =
      mode === 'sequential'
        ? async (n: number) => {
            for (let i = 0; i < n; i++) {
              const conn = await pool.acquire()
              tally.take()
              conn.uses++
              tally.held--
              void pool.release(conn)
              tally.cycles++
            }
          }
        : mode === 'contended'
          ? (n: number) =>
              spread(n, users, async (cycles) => {
                for (let i = 0; i < cycles; i++) {
                  const conn = await pool.acquire()
                  tally.take()
                  // eslint-disable-next-line @typescript-eslint/await-thenable -- a microtask's pause while holding the resource
                  await null
                  conn.uses++
                  tally.held--
                  void pool.release(conn)
                  tally.cycles++
                }
              })
          : (n: number) => {
              const fn = async (conn: Conn): Promise<void> => {
                tally.take()
                // eslint-disable-next-line @typescript-eslint/await-thenable -- a microtask's pause while holding the resource
                await null
                conn.uses++
                tally.held--
                tally.cycles++
              }
              return spread(n, users, async (cycles) => {
                for (let i = 0; i < cycles; i++) await pool.use(fn)
              })
            }
    return {
      batch,
      close: async () => {
        await pool.drain()
        await pool.clear()
      },
    }
  })
}

function tarn(mode: Mode): Contender {
  return contender(RESOURCE_LINE.tarn, mode, (max, tally) => {
    const pool = new TarnPool<Conn>({ create, destroy, min: 0, max, idleTimeoutMillis: IDLE_TIMEOUT_MS, acquireTimeoutMillis: ACQUIRE_TIMEOUT_MS })
    const users = settings.resource.users
    const batch =
      mode === 'sequential'
        ? async (n: number) => {
            for (let i = 0; i < n; i++) {
              const conn = await pool.acquire().promise
              tally.take()
              conn.uses++
              tally.held--
              pool.release(conn)
              tally.cycles++
            }
          }
        : mode === 'contended'
          ? (n: number) =>
              spread(n, users, async (cycles) => {
                for (let i = 0; i < cycles; i++) {
                  const conn = await pool.acquire().promise
                  tally.take()
                  // eslint-disable-next-line @typescript-eslint/await-thenable -- a microtask's pause while holding the resource
                  await null
                  conn.uses++
                  tally.held--
                  pool.release(conn)
                  tally.cycles++
                }
              })
          : (n: number) => {
              // tarn has no use(): what its users write instead.
              const fn = async (conn: Conn): Promise<void> => {
                tally.take()
                // eslint-disable-next-line @typescript-eslint/await-thenable -- a microtask's pause while holding the resource
                await null
                conn.uses++
                tally.held--
                tally.cycles++
              }
              return spread(n, users, async (cycles) => {
                for (let i = 0; i < cycles; i++) {
                  const conn = await pool.acquire().promise
                  try {
                    await fn(conn)
                  } finally {
                    pool.release(conn)
                  }
                }
              })
            }
    return { batch, close: () => pool.destroy() }
  })
}

const lines = (mode: Mode): Contender[] => [ours(mode), genericPool(mode, true), genericPool(mode, false), tarn(mode)]

/** The fastest peer line of a table (lowest ns). */
function fastestPeer(ns: Map<string, number>): [string, number] {
  const peers = [...ns].filter(([name]) => name !== RESOURCE_LINE.ours)
  return peers.reduce((a, b) => (b[1] < a[1] ? b : a))
}

function nsTable(cases: readonly Case[], samples: Map<string, number[]>, note: string): Map<string, number> {
  const ns = new Map(cases.map((c) => [c.id, (median(samples.get(c.id)!) * 1e6) / c.tasks]))
  const own = ns.get(RESOURCE_LINE.ours)!
  printTable(
    ['line', 'ns/cycle', 'cycles/s', 'MAD', 'batches', 'ours vs this'],
    cases.map((c) => {
      const ms = samples.get(c.id)!
      const v = ns.get(c.id)!
      return [c.id, v.toFixed(1), `${(1e9 / v / 1e6).toFixed(2)} M/s`, fmtPct(relativeMad(ms)), String(ms.length), c.id === RESOURCE_LINE.ours ? '1.00x' : fmtRatio(v / own)]
    }),
  )
  console.log(`${note}; "ours vs this" = its ns / ours: above 1x, ours is faster`)
  return ns
}

/** The resource suite: `@poolkit/resource` against generic-pool and tarn, acquire + release and `use`, in one process run. */
export async function resource(): Promise<ResourceResult> {
  const s = settings.resource
  const run = { rounds: s.rounds, timeMs: s.timeMs, iterations: s.iterations, warmupMs: s.warmupMs, warmupIterations: s.warmupIterations }
  const calls = s.calls.toLocaleString('en-US')
  console.log('\n## Resource pools: @poolkit/resource vs the pools a user would pick instead')
  console.log(
    `generic-pool ${versionOf('generic-pool')}, tarn ${versionOf('tarn')}; every pool: max ${s.max}, async create of a small object, idle timeout ${IDLE_TIMEOUT_MS / 1000} s, ` +
      `acquire timeout ${ACQUIRE_TIMEOUT_MS / 1000} s (generic-pool also without one, its default); a fresh pool per case, warmed up by the untimed warm-up batches; ` +
      `${s.rounds} round(s), alternating order`,
  )

  const measureMode = async (mode: Mode, heading: string, note: string): Promise<Map<string, number>> => {
    console.log(`\n### ${heading}`)
    const cases: Case[] = lines(mode).map((c) => ({ id: c.name, contender: c, concurrency: s.max, tasks: s.calls }))
    const samples = await measure(`resource: ${mode}`, cases, run)
    process.stderr.write('\n')
    return nsTable(cases, samples, note)
  }

  const sequentialNs = await measureMode(
    'sequential',
    `R1. acquire + release, one caller: ${calls} cycles per batch, each acquire awaited and released before the next`,
    'one resource in use at a time; every acquire finds one idle',
  )
  const contendedNs = await measureMode(
    'contended',
    `R2. acquire + release under contention: ${calls} cycles per batch, ${s.users} callers sharing ${s.max} resources, each holding its resource across one await`,
    `${s.users - s.max} callers wait at any time; each release hands the resource to the first waiter`,
  )
  const useNs = await measureMode(
    'use',
    `R3. use(fn): ${calls} calls per batch, ${s.users} callers sharing ${s.max} resources, fn an async function holding the resource across one await`,
    'generic-pool use(fn); tarn has none, so acquire, try { await fn(conn) } finally { release }',
  )

  console.log("\n### Resource: targets (ratios of medians: the peer's ns / ours; above 1x, ours is faster)")
  for (const [label, ns] of [
    ['R1 acquire+release, one caller ', sequentialNs],
    ['R2 acquire+release, contended  ', contendedNs],
    ['R3 use(fn), contended          ', useNs],
  ] as const) {
    const own = ns.get(RESOURCE_LINE.ours)!
    const vs = [...ns].filter(([name]) => name !== RESOURCE_LINE.ours).map(([name, v]) => `/ ${name} ${fmtRatio(v / own)}`)
    const [, peerNs] = fastestPeer(ns)
    const verdict = quick ? 'not judged in quick mode' : peerNs / own >= 2 ? 'met' : 'NOT met'
    console.log(`resource    ${label} ${own.toFixed(1)} ns: ${vs.join(', ')}   target >= 2x the fastest peer line: ${verdict}`)
  }
  return { sequentialNs, contendedNs, useNs, users: s.users, max: s.max }
}
