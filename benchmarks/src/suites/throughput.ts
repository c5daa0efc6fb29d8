import { settings } from '../config.js'
import { ALL, poolkit } from '../contenders.js'
import { type Case, measure } from '../harness.js'
import { backlog, type BacklogResult } from './backlog.js'
import { fmtPct, fmtRate, fmtRatio, mean, median, printTable, relativeMad } from '../stats.js'

export interface ThroughputResult {
  /** Tasks/s from the median batch time, by concurrency, then library name. */
  readonly rates: Map<number, Map<string, number>>
  /** Tasks/s from the mean batch time (all tasks over all time: GC pauses and slow modes count in full). */
  readonly meanRates: Map<number, Map<string, number>>
  /** The same work as the backlog grows (section 1b). */
  readonly backlog: BacklogResult
}

/** Suite 1: no-op async tasks through each limiter, a whole batch per iteration. */
export async function throughput(): Promise<ThroughputResult> {
  const s = settings.throughput
  console.log(`\n## 1. Throughput: batches of ${s.batch.toLocaleString('en-US')} no-op async tasks, submitted at once, awaited with Promise.all`)
  const cases: Case[] = []
  for (const concurrency of s.concurrencies) {
    for (const contender of ALL) cases.push({ id: `${contender.name} @${concurrency}`, contender, concurrency, tasks: s.batch })
  }
  const samples = await measure('throughput', cases, s)
  process.stderr.write('\n')

  const rates = new Map<number, Map<string, number>>()
  const meanRates = new Map<number, Map<string, number>>()
  const rows: string[][] = []
  for (const c of cases) {
    const ms = samples.get(c.id)!
    if (!rates.has(c.concurrency)) rates.set(c.concurrency, new Map())
    if (!meanRates.has(c.concurrency)) meanRates.set(c.concurrency, new Map())
    rates.get(c.concurrency)!.set(c.contender.name, (c.tasks * 1000) / median(ms))
    meanRates.get(c.concurrency)!.set(c.contender.name, (c.tasks * 1000) / mean(ms))
  }
  for (const c of cases) {
    const ms = samples.get(c.id)!
    const byLib = rates.get(c.concurrency)!
    const rate = byLib.get(c.contender.name)!
    rows.push([
      String(c.concurrency),
      c.contender.name,
      fmtRate(rate),
      `${median(ms).toFixed(2)} ms`,
      fmtPct(relativeMad(ms)),
      fmtRate(meanRates.get(c.concurrency)!.get(c.contender.name)!),
      String(ms.length),
      c.contender === poolkit ? '1.00x' : fmtRatio(byLib.get(poolkit.name)! / rate),
    ])
  }
  printTable(['conc', 'library', 'tasks/s (median)', 'ms/batch', 'MAD', 'tasks/s (mean)', 'samples', 'poolkit vs this'], rows, 2)
  return { rates, meanRates, backlog: await backlog() }
}
