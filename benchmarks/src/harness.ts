import { Bench } from 'tinybench'
import { verbose } from './config.js'
import type { Contender, Runner } from './contenders.js'
import { samplesOf } from './stats.js'

/** One measured line: a library at a concurrency, submitting `tasks` tasks per iteration. */
export interface Case {
  readonly id: string
  readonly contender: Contender
  readonly concurrency: number
  readonly tasks: number
  readonly priorityOf?: (i: number) => number
}

export interface RunSettings {
  readonly rounds: number
  /** Minimum time per case per round (ms); 0 to go by `iterations` alone. */
  readonly timeMs: number
  /** Minimum iterations per case per round. */
  readonly iterations: number
  readonly warmupMs: number
  readonly warmupIterations: number
}

const gc = (globalThis as { gc?: () => void }).gc

/**
 * Runs every case with tinybench, `rounds` times, reversing the order on odd
 * rounds so that no case always runs first (or last, on a heap the others
 * grew). One tinybench iteration is one whole batch; the samples (ms per
 * batch) of all rounds are pooled per case.
 */
export async function measure(title: string, cases: readonly Case[], s: RunSettings): Promise<Map<string, number[]>> {
  const pooled = new Map<string, number[]>(cases.map((c) => [c.id, []]))
  for (let round = 0; round < s.rounds; round++) {
    const order = round % 2 === 0 ? cases : [...cases].reverse()
    const bench = new Bench({
      name: `${title} (round ${round + 1}/${s.rounds})`,
      time: s.timeMs,
      iterations: s.iterations,
      warmupTime: s.warmupMs,
      warmupIterations: s.warmupIterations,
      retainSamples: true,
      throws: true,
    })
    for (const c of order) {
      let runner: Runner | undefined
      bench.add(c.id, () => runner!.batch(c.tasks, c.priorityOf), {
        async: true,
        beforeAll() {
          // Start each case (and its warm-up) on a collected heap and a fresh pool.
          gc?.()
          runner = c.contender.open(c.concurrency)
        },
        async afterAll() {
          await runner?.close()
          runner = undefined
        },
      })
    }
    await bench.run()
    if (verbose) {
      console.log(bench.name)
      console.table(bench.table())
    }
    for (const task of bench.tasks) pooled.get(task.name)!.push(...samplesOf(task))
    process.stderr.write('.')
  }
  return pooled
}
