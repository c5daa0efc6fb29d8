import { settings } from '../config.js'
import { type Contender, poolkit, pQueue } from '../contenders.js'
import { type Case, measure } from '../harness.js'
import { fmtPct, fmtRate, fmtRatio, median, printTable, relativeMad } from '../stats.js'

export interface PriorityResult {
  /** Median tasks/s by library name. */
  readonly mixed: Map<string, number>
  readonly single: Map<string, number>
}

const mixedPriority = (i: number): number => i % 4
const singlePriority = (): number => 0

/** Suite 2: a large backlog queued at once with four interleaved priorities, against the same backlog at one priority. */
export async function priority(): Promise<PriorityResult> {
  const s = settings.priority
  const n = s.tasks.toLocaleString('en-US')
  console.log(`\n## 2. Mixed priority: ${n} no-op tasks queued at once, priority = i % 4 vs all priority 0, concurrency ${s.concurrency}`)
  const libs: Contender[] = [poolkit, pQueue]
  const cases: Case[] = []
  for (const contender of libs) {
    cases.push({ id: `${contender.name} mixed`, contender, concurrency: s.concurrency, tasks: s.tasks, priorityOf: mixedPriority })
    cases.push({ id: `${contender.name} single`, contender, concurrency: s.concurrency, tasks: s.tasks, priorityOf: singlePriority })
  }
  const samples = await measure('priority', cases, { ...s, timeMs: 0, warmupMs: 0 })
  process.stderr.write('\n')

  const rate = (id: string): number => (s.tasks * 1000) / median(samples.get(id)!)
  const spread = (id: string): string => fmtPct(relativeMad(samples.get(id)!))
  const mixed = new Map(libs.map((l) => [l.name, rate(`${l.name} mixed`)]))
  const single = new Map(libs.map((l) => [l.name, rate(`${l.name} single`)]))
  printTable(
    ['library', 'mixed tasks/s', 'MAD', 'single tasks/s', 'MAD', 'samples', 'mixed/single'],
    libs.map((l) => [
      l.name,
      fmtRate(mixed.get(l.name)!),
      spread(`${l.name} mixed`),
      fmtRate(single.get(l.name)!),
      spread(`${l.name} single`),
      String(samples.get(`${l.name} mixed`)!.length),
      fmtRatio(mixed.get(l.name)! / single.get(l.name)!),
    ]),
  )
  return { mixed, single }
}
