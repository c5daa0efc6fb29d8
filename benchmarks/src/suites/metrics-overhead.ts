import { createPool } from '@poolkit/core'
import { createMetrics } from '@poolkit/metrics'
import { quick, settings } from '../config.js'
import type { Contender } from '../contenders.js'
import { fmtPct, fmtRate, median, printTable, relativeMad } from '../stats.js'

const noop = async (): Promise<void> => {}

/** The core pool on no-op tasks, with `observers: [metrics]` when `withMetrics`, and keys when `keyed`. */
function pool(name: string, withMetrics: boolean, keyed: boolean): Contender {
  return {
    name,
    priorities: false,
    open(concurrency) {
      const metrics = withMetrics ? createMetrics() : undefined
      const p = createPool<number, void>({ handler: noop, concurrency, observers: metrics === undefined ? [] : [metrics] })
      return {
        batch(n) {
          const all = new Array<Promise<void>>(n)
          if (keyed) for (let i = 0; i < n; i++) all[i] = p.run(i, { key: `tenant-${i & 15}` })
          else for (let i = 0; i < n; i++) all[i] = p.run(i)
          return Promise.all(all)
        },
        close: () => p.close(),
      }
    },
  }
}

const LINES = [pool('no metrics', false, false), pool('with metrics', true, false), pool('no metrics, 16 keys', false, true), pool('with metrics, 16 keys', true, true)] as const

/** ns per `onSettled` call of a metrics object (the one hook it needs per task), on a reused task, median of 5 batches. */
function hookNs(keyed: boolean): number {
  const metrics = createMetrics()
  metrics.onAttached?.('p', { name: 'p', state: 'open', stats: () => ({ counters: { submitted: 0, started: 0 } }) as never })
  const task = { id: 1, priority: 1, key: undefined as string | undefined, name: undefined, attempt: 1, submittedAt: 0, enqueuedAt: 0, startedAt: 0, endedAt: 0, waitMs: 0, runMs: 0 }
  const n = 2_000_000
  const times: number[] = []
  const base = performance.now()
  for (let round = 0; round < 5; round++) {
    const t0 = performance.now()
    for (let i = 0; i < n; i++) {
      task.startedAt = base + i * 1e-5
      task.endedAt = task.startedAt + 0.001
      if (keyed) task.key = KEYS[i & 15]
      metrics.onSettled!('p', task, 'completed', undefined)
    }
    times.push(((performance.now() - t0) * 1e6) / n)
  }
  return median(times)
}

const KEYS = Array.from({ length: 16 }, (_, i) => `tenant-${i}`)

export interface MetricsOverheadResult {
  /** Tasks/s by concurrency, then line name. */
  readonly rates: Map<number, Map<string, number>>
  /** with / without, by concurrency: the share of throughput kept with metrics attached (unkeyed, keyed). */
  readonly kept: Map<number, { readonly plain: number; readonly keyed: number }>
  /** ns of metrics work per task (its onSettled hook alone), without and with 16 keys. */
  readonly hookNs: { readonly plain: number; readonly keyed: number }
}

/**
 * The core pool's no-op throughput with and without `createMetrics()` attached
 * (issue 5's target: under 10% lost). The difference is a few percent, smaller
 * than the drift between two lines measured one after the other for a second
 * each; so every line gets one pool for the whole run and the lines take turns
 * batch by batch, round after round, and each line's median batch counts.
 */
export async function metricsOverhead(): Promise<MetricsOverheadResult> {
  const s = settings.throughput
  const rounds = quick ? 20 : 200
  const warmup = quick ? 2 : 20
  console.log(
    `\n### M3. Pool throughput with and without metrics: batches of ${s.batch.toLocaleString('en-US')} no-op tasks, createPool({ handler, concurrency, observers: [createMetrics()] }); ` +
      `the lines take turns batch by batch, ${rounds} rounds after ${warmup} of warm-up`,
  )
  const gc = (globalThis as { gc?: () => void }).gc
  const rates = new Map<number, Map<string, number>>()
  const mads = new Map<string, number>()
  for (const concurrency of s.concurrencies) {
    const runners = LINES.map((line) => line.open(concurrency))
    const samples = LINES.map(() => [] as number[])
    gc?.()
    for (let round = 0; round < warmup + rounds; round++) {
      for (let k = 0; k < LINES.length; k++) {
        // Alternate the order, so no line always follows the same one.
        const i = round % 2 === 0 ? k : LINES.length - 1 - k
        const t0 = performance.now()
        await runners[i]!.batch(s.batch)
        if (round >= warmup) samples[i]!.push(performance.now() - t0)
      }
    }
    await Promise.all(runners.map((r) => r.close()))
    const byLine = new Map<string, number>()
    LINES.forEach((line, i) => {
      byLine.set(line.name, (s.batch * 1000) / median(samples[i]!))
      mads.set(`${line.name} @${concurrency}`, relativeMad(samples[i]!))
    })
    rates.set(concurrency, byLine)
    process.stderr.write('.')
  }
  process.stderr.write('\n')
  const kept = new Map<number, { plain: number; keyed: number }>()
  const rows: string[][] = []
  for (const [concurrency, byLine] of rates) {
    const plain = byLine.get('with metrics')! / byLine.get('no metrics')!
    const keyed = byLine.get('with metrics, 16 keys')! / byLine.get('no metrics, 16 keys')!
    kept.set(concurrency, { plain, keyed })
    for (const line of LINES) {
      const base = line.name.includes('keys') ? byLine.get('no metrics, 16 keys')! : byLine.get('no metrics')!
      rows.push([String(concurrency), line.name, fmtRate(byLine.get(line.name)!), fmtPct(mads.get(`${line.name} @${concurrency}`)!), `${((1 - byLine.get(line.name)! / base) * 100).toFixed(1)}%`])
    }
  }
  printTable(['conc', 'line', 'tasks/s (median)', 'MAD', 'throughput lost'], rows, 2)
  console.log('"throughput lost": 1 - tasks/s with metrics / tasks/s of the line without, at the same concurrency and keys; tasks/s from each line\'s median batch')
  const hook = { plain: hookNs(false), keyed: hookNs(true) }
  const perTask = (concurrency: number): number => 1e9 / rates.get(concurrency)!.get('no metrics')!
  console.log(
    `metrics work per task (the onSettled hook alone, 2,000,000 calls on one reused task, median of 5): ${hook.plain.toFixed(1)} ns, ${hook.keyed.toFixed(1)} ns with 16 keys; ` +
      `a no-op task through the pool without metrics takes ${[...rates.keys()].map((c) => `${perTask(c).toFixed(0)} ns at ${c}`).join(', ')}, ` +
      `so the hook is ${[...rates.keys()].map((c) => `${((hook.plain / perTask(c)) * 100).toFixed(1)}%`).join(' and ')} of it`,
  )
  return { rates, kept, hookNs: hook }
}
