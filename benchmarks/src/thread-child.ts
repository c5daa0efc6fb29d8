// Spawned by the threads suite, one fresh process per measurement, so each
// library's memory starts from nothing and no other library's heap or threads count:
//   node --expose-gc dist/thread-child.js burst <library> <workers> <tasks>
//   node [--expose-gc] dist/thread-child.js startup <library> <workers>   (the memory count needs --expose-gc)
//   node --expose-gc dist/thread-child.js latency <workers> <samples> <warmup> <block> <prefetch,...>
//   node --expose-gc dist/thread-child.js transfer <workers> <round trips> <block> <bytes>
// Prints one JSON line (a BurstReport, StartupReport, LatencyReport or TransferReport).
import { setTimeout as sleep } from 'node:timers/promises'
import { interleaved, percentile, type TripLine, watchOthers } from './thread-harness.js'
import { BARE, bareEcho, closeHangs, handRolled, piscina, poolifier, poolkit, poolkitThreads, THREAD_LIBRARIES, threadLibrary } from './thread-pools.js'
import type { BurstReport, LatencyReport, StartupReport, TransferReport } from './thread-report.js'
import { median } from './stats.js'

const gc = (globalThis as { gc?: () => void }).gc

async function burst(name: string, workers: number, tasks: number): Promise<Omit<BurstReport, 'hung' | 'othersCores'>> {
  const runner = threadLibrary(name).open(workers)
  await runner.ready?.()
  // Warm: every worker started and the paths compiled, as in the throughput suite.
  await Promise.all(Array.from({ length: 1_000 }, (_, i) => runner.echo(i)))
  gc!()
  const baseRss = process.memoryUsage().rss
  const t0 = performance.now()
  const all = new Array<PromiseLike<unknown>>(tasks)
  for (let i = 0; i < tasks; i++) all[i] = runner.echo(i)
  const results = await Promise.all(all)
  const burstMs = performance.now() - t0
  const peakRss = process.resourceUsage().maxRSS * 1024
  if (results.length !== tasks || results[tasks - 1] !== tasks - 1) throw new Error(`${name}: wrong results`)
  gc!()
  const afterRss = process.memoryUsage().rss
  await runner.close()
  return { library: name, tasks, baseRss, peakRss, afterRss, burstMs }
}

async function startup(name: string, workers: number): Promise<Omit<StartupReport, 'hung' | 'othersCores'>> {
  const library = threadLibrary(name)
  gc?.()
  const baseRss = process.memoryUsage().rss
  const t0 = performance.now()
  const runner = library.open(workers)
  await runner.echo(0)
  const firstResultMs = performance.now() - t0
  let readyMs: number | undefined
  if (runner.ready !== undefined) {
    await runner.ready()
    readyMs = performance.now() - t0
  }
  // A few tasks on every worker, then let them go idle before the count.
  await Promise.all(Array.from({ length: 100 * workers }, (_, i) => runner.echo(i)))
  await sleep(500)
  gc?.()
  const idleRss = process.memoryUsage().rss
  await runner.close()
  const counted = gc !== undefined
  return { library: name, workers, firstResultMs, readyMs, baseRss: counted ? baseRss : undefined, idleRss: counted ? idleRss : undefined }
}

/**
 * Every library (and poolkit at each prefetch) open at once, plus a bare echo
 * worker; one task at a time, the lines taking turns in blocks (see `interleaved`).
 */
async function latency(workers: number, samples: number, warmup: number, block: number, prefetch: readonly number[]): Promise<Omit<LatencyReport, 'hung' | 'othersCores'>> {
  const libraries = [poolkit, ...prefetch.map((p) => poolkitThreads(p)), ...THREAD_LIBRARIES.slice(1)]
  const runners = libraries.map((library) => library.open(workers))
  await Promise.all(runners.map((runner) => runner.ready?.()))
  const bare = bareEcho()
  let input = 0
  const lines: TripLine[] = [...libraries.map((library, k) => ({ name: library.name, trip: () => runners[k]!.echo(input++) })), { name: BARE, trip: () => bare.roundTrip() }]
  await interleaved(lines, warmup, warmup)
  gc!()
  const times = await interleaved(lines, samples, block)
  await Promise.all([...runners.map((runner) => runner.close()), bare.close()])
  return {
    lines: [...times].map(([name, t]) => ({ name, median: median(t), p99: percentile(t, 0.99), mean: t.reduce((a, b) => a + b, 0) / t.length })),
  }
}

/** The lines of the transfer section: the libraries that can move a buffer, and poolkit copying it as a reference. */
const TRANSFER_LINES = [poolkit, poolkitThreads(undefined, { copy: true }), piscina, poolifier, handRolled]

/** One buffer per line, moved to a worker and back one trip at a time, the lines taking turns in blocks. */
async function transfer(workers: number, roundTrips: number, block: number, bytes: number): Promise<Omit<TransferReport, 'hung' | 'othersCores'>> {
  const runners = TRANSFER_LINES.map((library) => library.open(workers))
  await Promise.all(runners.map((runner) => runner.ready?.()))
  const buffers = TRANSFER_LINES.map(() => new ArrayBuffer(bytes))
  const firsts = [...buffers]
  const lines: TripLine[] = TRANSFER_LINES.map((library, k) => ({
    name: library.name,
    trip: async () => {
      buffers[k] = await runners[k]!.move!(buffers[k]!)
    },
  }))
  const warmup = 20
  await interleaved(lines, warmup, warmup)
  gc!()
  const times = await interleaved(lines, roundTrips, block)
  await Promise.all(runners.map((runner) => runner.close()))
  return {
    lines: TRANSFER_LINES.map((library, k) => {
      // Every trip added one to the first byte: the buffer really went there and back.
      const back = buffers[k]!
      if (back.byteLength !== bytes || new Uint8Array(back)[0] !== (warmup + roundTrips) % 256) throw new Error(`${library.name}: the buffer did not come back intact`)
      const t = times.get(library.name)!
      return { name: library.name, rate: (t.length * 1000) / t.reduce((a, b) => a + b, 0), median: median(t), movedOut: firsts[k]!.byteLength === 0 }
    }),
  }
}

async function main(): Promise<void> {
  const [mode, ...args] = process.argv.slice(2)
  if (gc === undefined && mode !== 'startup') throw new Error('run with node --expose-gc')
  const n = args.map(Number)
  const others = watchOthers()
  let report: object
  if (mode === 'burst') report = await burst(args[0]!, n[1]!, n[2]!)
  else if (mode === 'startup') report = await startup(args[0]!, n[1]!)
  else if (mode === 'latency')
    report = await latency(
      n[0]!,
      n[1]!,
      n[2]!,
      n[3]!,
      args[4]!
        .split(',')
        .filter((p) => p !== '')
        .map(Number),
    )
  else if (mode === 'transfer') report = await transfer(n[0]!, n[1]!, n[2]!, n[3]!)
  else throw new Error(`unknown mode ${JSON.stringify(mode)}; usage: thread-child.js burst|startup|latency|transfer ...`)
  process.stdout.write(JSON.stringify({ ...report, hung: [...closeHangs.keys()], othersCores: others() }) + '\n')
  // A pool whose close left a thread behind must not hold the suite up.
  process.exit(0)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
