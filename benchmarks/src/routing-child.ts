// Spawned by the routing suite, one fresh process per line and round, so each line's
// selector is the only one the pool's call sites ever saw (several selectors in one
// process make the pool's select() call polymorphic, and the line that ran first would
// look cheapest):
//   node --expose-gc dist/routing-child.js threads <line | poolifier STRATEGY> <workers> <warmup tasks> <tasks> <bursts>
//   node --expose-gc dist/routing-child.js in-process <line> <concurrency> <batch> <warm-up batches> <batches>
//   node --expose-gc dist/routing-child.js cache <line> <workers> <tasks> <seed>
// Prints one JSON line.
import type { WorkerChoiceStrategy } from 'poolifier'
import { cachedValidators, inProcessPool, poolifierThreads, poolkitThreads, selectorLine } from './routing-lines.js'
import { closeHangs } from './thread-pools.js'
import { watchOthers } from './thread-harness.js'

const gc = (globalThis as { gc?: () => void }).gc

async function main(): Promise<void> {
  const [mode, line, ...rest] = process.argv.slice(2)
  if (gc === undefined) throw new Error('run with node --expose-gc')
  const n = rest.map(Number)
  const others = watchOthers()
  let report: object
  if (mode === 'threads') {
    const [workers, warmup, tasks, bursts] = n as [number, number, number, number]
    const runner = line!.startsWith('poolifier ') ? poolifierThreads(line!.slice('poolifier '.length) as WorkerChoiceStrategy, workers) : await poolkitThreads(selectorLine(line!), workers)
    await runner.burst(warmup)
    const ms: number[] = []
    for (let i = 0; i < bursts; i++) {
      gc()
      ms.push(await runner.burst(tasks))
    }
    await runner.close()
    report = { ms }
  } else if (mode === 'in-process') {
    const [concurrency, batch, warmup, batches] = n as [number, number, number, number]
    const pool = inProcessPool(selectorLine(line!), concurrency)
    for (let i = 0; i < warmup; i++) await pool.batch(batch)
    gc()
    const ns: number[] = []
    for (let i = 0; i < batches; i++) ns.push(await pool.batch(batch))
    await pool.close()
    report = { ns }
  } else if (mode === 'cache') {
    const [workers, tasks, seed] = n as [number, number, number]
    gc()
    report = await cachedValidators(selectorLine(line!), workers, tasks, seed)
  } else {
    throw new Error(`unknown mode ${JSON.stringify(mode)}; usage: routing-child.js threads|in-process|cache <line> ...`)
  }
  process.stdout.write(JSON.stringify({ ...report, hung: [...closeHangs.keys()], othersCores: others() }) + '\n')
  // A pool whose close left a thread behind must not hold the suite up.
  process.exit(0)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
