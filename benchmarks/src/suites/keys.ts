import { combine, createBulkhead, createCircuitBreaker, createRateLimiter } from '@poolkit/breaker'
import { createPool } from '@poolkit/core'
import type { PoolOptions } from '@poolkit/core'
import { createMetrics } from '@poolkit/metrics'
import { createFairQueue } from '@poolkit/queue'
import { quick, settings } from '../config.js'
import { fmtPct, fmtRatio, median, printTable, relativeMad } from '../stats.js'

/**
 * One keyed structure measured by the suite: what it plugs into the pool. Each
 * line gets its own pool and a fresh structure from `options()`. To measure
 * another keyed structure, add a row to `KEY_ROWS`.
 */
export interface KeyRow {
  /** The row's name in the tables. */
  readonly name: string
  /** A floor to read the others against (the pool with no keyed structure), not a structure of its own. */
  readonly reference?: boolean
  /** The pool options that plug the structure in (`breaker`, `observers`, `queue`...), made fresh for each line. */
  options(): Partial<PoolOptions<number, number>>
}

/** Rate limits high enough that no task ever waits for a start. */
const BUCKET = { perSecond: 1e9 }
// The sliding window's limit, at most the rate any one key reaches here (about 1M tasks/s
// over 10 keys) with room to spare; a log of 1e9 starts per key cost 8 GB before issue 18.
const WINDOW = { perSecond: 1e6 }

/** The rows, in table order: the bare pool first, then each keyed structure, each at its defaults unless named. */
export const KEY_ROWS: readonly KeyRow[] = [
  { name: 'pool alone (keys passed, nothing keyed)', reference: true, options: () => ({}) },
  { name: 'circuit breaker (keyed, maxKeys 1000)', options: () => ({ breaker: createCircuitBreaker({ keyed: true }) }) },
  // A limit above the pool's concurrency: the bulkhead keeps its lines, nothing waits for a permit.
  { name: 'bulkhead (defaultLimit 64)', options: () => ({ breaker: createBulkhead({ defaultLimit: 64 }) }) },
  { name: 'rate limiter, token bucket (1e9/s a key)', options: () => ({ breaker: createRateLimiter({ defaultLimit: BUCKET }) }) },
  { name: 'rate limiter, sliding window (1e6/s a key)', options: () => ({ breaker: createRateLimiter({ algorithm: 'sliding-window', defaultLimit: WINDOW }) }) },
  {
    name: 'combine(circuit breaker, bulkhead, token bucket)',
    options: () => ({
      breaker: combine(createCircuitBreaker({ keyed: true }), createBulkhead({ defaultLimit: 64 }), createRateLimiter({ defaultLimit: BUCKET })),
    }),
  },
  { name: 'metrics (maxKeys 1000) as observer', options: () => ({ observers: [createMetrics({ maxKeys: 1000 })] }) },
  { name: 'fair queue (@poolkit/queue)', options: () => ({ queue: createFairQueue() }) },
]

/** What the keys suite measured. */
export interface KeysResult {
  /** The key counts compared, few first. */
  readonly keyCounts: readonly number[]
  /** ns per task by row name, then key count. */
  readonly ns: Map<string, Map<number, number>>
  /** Tasks per batch and the pool's concurrency. */
  readonly batch: number
  readonly concurrency: number
}

interface Line {
  readonly row: KeyRow
  readonly keys: number
  batch(n: number): Promise<unknown>
  close(): Promise<unknown>
}

const echo = async (x: number): Promise<number> => x

/** A pool with the row's structure, fed tasks whose keys go round-robin over `keys` distinct keys (the turn carries over from batch to batch). */
function open(row: KeyRow, keys: number, concurrency: number): Line {
  const names = Array.from({ length: keys }, (_, i) => `key-${i}`)
  const pool = createPool<number, number>({ handler: echo, concurrency, ...row.options() })
  let turn = 0
  let done = 0
  return {
    row,
    keys,
    async batch(n) {
      const all = new Array<Promise<number>>(n)
      for (let i = 0; i < n; i++) {
        all[i] = pool.run(i, { key: names[turn]! })
        if (++turn === keys) turn = 0
      }
      const results = await Promise.all(all)
      done += results.length
    },
    async close() {
      await pool.close()
      // A line that lost or refused tasks must not report a figure.
      if (pool.stats().counters.completed !== done) throw new Error(`keys suite: ${row.name} @${keys} keys completed ${pool.stats().counters.completed} tasks, expected ${done}`)
    },
  }
}

/**
 * Per-task cost of each keyed structure through a core pool, with few keys and
 * with many (round-robin, so with many keys every task may bring a key the
 * structure has not seen or has already evicted). Every line has its own pool
 * for the whole run, and the lines take turns batch by batch, alternating the
 * order, so drift hits them alike; each line's median batch counts.
 */
export async function keys(): Promise<KeysResult> {
  const s = settings.keys
  const counts = s.keyCounts
  console.log(
    `\n## Keys: per-task cost of keyed structures with ${counts.map((k) => k.toLocaleString('en-US')).join(' vs ')} distinct keys (round-robin), ` +
      `batches of ${s.batch.toLocaleString('en-US')} tasks (async x => x) at concurrency ${s.concurrency}, ${s.rounds} rounds after ${s.warmup} of warm-up`,
  )
  const gc = (globalThis as { gc?: () => void }).gc
  const lines = KEY_ROWS.flatMap((row) => counts.map((k) => open(row, k, s.concurrency)))
  const samples = lines.map(() => [] as number[])
  gc?.()
  for (let round = 0; round < s.warmup + s.rounds; round++) {
    for (let j = 0; j < lines.length; j++) {
      const i = round % 2 === 0 ? j : lines.length - 1 - j
      const t0 = performance.now()
      await lines[i]!.batch(s.batch)
      if (round >= s.warmup) samples[i]!.push(((performance.now() - t0) * 1e6) / s.batch)
    }
    if (round % 5 === 4) process.stderr.write('.')
  }
  await Promise.all(lines.map((l) => l.close()))
  process.stderr.write('\n')

  const ns = new Map<string, Map<number, number>>()
  const mads = new Map<string, Map<number, number>>()
  lines.forEach((line, i) => {
    if (!ns.has(line.row.name)) {
      ns.set(line.row.name, new Map())
      mads.set(line.row.name, new Map())
    }
    ns.get(line.row.name)!.set(line.keys, median(samples[i]!))
    mads.get(line.row.name)!.set(line.keys, relativeMad(samples[i]!))
  })
  const [few, many] = [counts[0]!, counts[counts.length - 1]!]
  const floor = ns.get(KEY_ROWS.find((r) => r.reference === true)!.name)!
  const rows = KEY_ROWS.map((row) => {
    const byKeys = ns.get(row.name)!
    const ratio = byKeys.get(many)! / byKeys.get(few)!
    const over = (k: number): string => (row.reference === true ? '-' : `${(byKeys.get(k)! - floor.get(k)!).toFixed(0)}`)
    return [
      row.name,
      ...counts.flatMap((k) => [byKeys.get(k)!.toFixed(0), fmtPct(mads.get(row.name)!.get(k)!), over(k)]),
      fmtRatio(ratio),
      row.reference === true ? '-' : quick ? 'not judged in quick mode' : ratio <= 1.5 ? 'met' : 'NOT met',
    ]
  })
  printTable(['structure', ...counts.flatMap((k) => [`ns/task @${k}`, 'MAD', 'over pool']), `${many}/${few} keys`, 'target <= 1.5x'], rows, 1)
  console.log(`"over pool": ns/task minus the pool alone at the same key count; "${many}/${few} keys": ns/task with ${many.toLocaleString('en-US')} keys over ns/task with ${few}`)
  return { keyCounts: counts, ns, batch: s.batch, concurrency: s.concurrency }
}
