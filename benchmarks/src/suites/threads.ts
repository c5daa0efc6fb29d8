import { quick, settings } from '../config.js'
import { fmtRate, fmtRatio, median, printTable } from '../stats.js'
import { burst, canPin, childHangs, closeWithin, idleWaits, ordered, reportOthers, runChild, untilIdle, versionOf, waitIdle, watchOthers } from '../thread-harness.js'
import { BARE, bareEcho, closeHangs, handRolled, piscina, poolifier, poolkit, poolkitThreads, THREAD_LIBRARIES, type ThreadLibrary, type ThreadRunner } from '../thread-pools.js'
import type { BurstReport, LatencyLine, LatencyReport, StartupReport, TransferReport } from '../thread-report.js'
import { hash } from '../workers/work.js'

const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => {})

export interface ThreadsResult {
  /** Median tasks/s of the throughput burst, by line name. */
  readonly rates: Map<string, number>
  /** Peak RSS (bytes) of the burst in a fresh child process, by library name. */
  readonly peakRss: Map<string, number>
  /** Median round trip (ms), by line name. */
  readonly latency: Map<string, number>
  /** Sequential time / pool time, by library name. */
  readonly speedup: Map<string, number>
}

// ---------------------------------------------------------------- helpers

async function open(library: ThreadLibrary): Promise<ThreadRunner> {
  const runner = library.open(settings.threads.workers)
  await runner.ready?.()
  return runner
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`
const us = (ms: number): string => `${(ms * 1000).toFixed(1)} µs`
const prefetchLines = (): ThreadLibrary[] => settings.threads.prefetch.map((p) => poolkitThreads(p))

// ---------------------------------------------------------------- T1 throughput

async function throughput(): Promise<Map<string, number>> {
  const others = watchOthers()
  const s = settings.threads
  console.log(`\n### T1. Throughput: ${s.tasks.toLocaleString('en-US')} no-op tasks (returning their input) submitted at once, ${s.workers} workers, ${s.rounds} rounds`)
  const lines: (ThreadLibrary | typeof BARE)[] = [poolkit, ...prefetchLines(), ...THREAD_LIBRARIES.slice(1), BARE]
  const samples = new Map<string, { submitMs: number; totalMs: number }[]>()
  for (let round = 0; round < s.rounds; round++) {
    for (const line of ordered(lines, round)) {
      await untilIdle()
      gc()
      let result: { submitMs: number; totalMs: number }
      if (line === BARE) {
        const bare = bareEcho()
        await bare.pipelined(s.warmupTasks)
        gc()
        const { postMs, totalMs } = await bare.pipelined(s.tasks)
        result = { submitMs: postMs, totalMs }
        await bare.close()
      } else {
        const runner = await open(line)
        await burst(runner, s.warmupTasks)
        gc()
        result = await burst(runner, s.tasks)
        await closeWithin(line.name, runner)
      }
      const name = line === BARE ? BARE : line.name
      samples.set(name, [...(samples.get(name) ?? []), result])
      process.stderr.write('.')
    }
  }
  process.stderr.write('\n')
  const rates = new Map([...samples].map(([name, runs]) => [name, (s.tasks * 1000) / median(runs.map((r) => r.totalMs))]))
  const pk = rates.get(poolkit.name)!
  printTable(
    ['line', 'tasks/s (median)', 'ms / burst', 'each round', 'submit blocks', 'poolkit vs this'],
    [...samples].map(([name, runs]) => [
      name === BARE ? `${BARE} (1 worker, pipelined postMessage)` : name,
      fmtRate(rates.get(name)!),
      `${median(runs.map((r) => r.totalMs)).toFixed(0)} ms`,
      runs.map((r) => fmtRate((s.tasks * 1000) / r.totalMs).replace('/s', '')).join(', '),
      `${median(runs.map((r) => r.submitMs)).toFixed(1)} ms`,
      name === poolkit.name ? '1.00x' : fmtRatio(pk / rates.get(name)!),
    ]),
  )
  console.log('("submit blocks": median time from the first submit to the last submit call returning, the main thread held all along)')
  reportOthers(others)
  return rates
}

// ---------------------------------------------------------------- T2 peak RSS

async function peakRss(): Promise<BurstReport[]> {
  const s = settings.threads
  console.log(`\n### T2. Peak RSS of that burst: ${s.tasks.toLocaleString('en-US')} no-op tasks at once, ${s.workers} workers, one fresh child process per library`)
  const reports: BurstReport[] = []
  for (const library of THREAD_LIBRARIES) {
    await untilIdle()
    reports.push(await runChild<BurstReport>(['burst', library.name, String(s.workers), String(s.tasks)]))
    process.stderr.write('.')
  }
  process.stderr.write('\n')
  const floor = reports.find((r) => r.library === handRolled.name)!.peakRss
  printTable(
    ['library', 'RSS before', 'peak RSS', 'peak - before', 'RSS after (GC)', 'burst ms', 'peak vs hand-rolled'],
    reports.map((r) => [r.library, mb(r.baseRss), mb(r.peakRss), mb(r.peakRss - r.baseRss), mb(r.afterRss), r.burstMs.toFixed(0), fmtRatio(r.peakRss / floor)]),
  )
  console.log('(peak RSS is the process\'s maxRSS, main thread and workers together; "before" is with the pool started and warm)')
  reportOthers(Math.max(...reports.map((r) => r.othersCores ?? 0)))
  return reports
}

/** poolkit's burst rate at the larger backlog over its rate at the T2 burst. */
interface BacklogFigures {
  readonly keeps: number
  readonly tasks: number
}

/**
 * T2b: the same burst with a backlog ten times larger, for poolkit and the two
 * pools a user weighs it against, one fresh child process each: does the cost
 * per task stay flat as the backlog grows, and what does the backlog cost in RSS?
 */
async function backlogBurst(small: readonly BurstReport[]): Promise<BacklogFigures> {
  const s = settings.threads
  const libraries = [poolkit.name, piscina.name, poolifier.name]
  console.log(
    `\n### T2b. Backlog: ${s.backlogTasks.toLocaleString('en-US')} no-op tasks at once, ${s.workers} workers, one fresh child process per library, against T2's ${s.tasks.toLocaleString('en-US')}`,
  )
  const reports: BurstReport[] = []
  for (const name of libraries) {
    await untilIdle()
    reports.push(await runChild<BurstReport>(['burst', name, String(s.workers), String(s.backlogTasks)]))
    process.stderr.write('.')
  }
  process.stderr.write('\n')
  const rate = (r: BurstReport): number => (r.tasks * 1000) / r.burstMs
  const smallRate = (name: string): number => rate(small.find((r) => r.library === name)!)
  const pk = reports.find((r) => r.library === poolkit.name)!
  printTable(
    ['library', 'tasks/s', `tasks/s at ${s.tasks.toLocaleString('en-US')}`, 'kept', 'peak RSS', 'peak - before', 'peak vs poolkit'],
    reports.map((r) => [
      r.library,
      fmtRate(rate(r)),
      fmtRate(smallRate(r.library)),
      fmtRatio(rate(r) / smallRate(r.library)),
      mb(r.peakRss),
      mb(r.peakRss - r.baseRss),
      fmtRatio(r.peakRss / pk.peakRss),
    ]),
  )
  reportOthers(Math.max(...reports.map((r) => r.othersCores ?? 0)))
  return { keeps: rate(pk) / smallRate(poolkit.name), tasks: s.backlogTasks }
}

// ---------------------------------------------------------------- T3 latency

/** Round-trip medians and 99th percentiles (ms), by line name. */
interface Latencies {
  readonly medians: Map<string, number>
  readonly p99: Map<string, number>
  /** Medians with the process pinned to one core; empty where it cannot be pinned. */
  readonly pinnedMedians: Map<string, number>
}

async function latency(): Promise<Latencies> {
  const s = settings.threads
  const { samples, warmup, block } = s.latency
  console.log(
    `\n### T3. Round-trip latency: one task at a time (each awaited before the next), ${s.workers} workers, ${samples.toLocaleString('en-US')} tasks per line; ` +
      `every pool open at once in a child process, the lines taking turns in blocks of ${block}`,
  )
  const args = ['latency', String(s.workers), String(samples), String(warmup), String(block), s.prefetch.join(',')]
  await untilIdle()
  const free = await runChild<LatencyReport>(args)
  process.stderr.write('\n')
  let pinned: LatencyReport | undefined
  if (canPin) {
    await untilIdle()
    pinned = await runChild<LatencyReport>(args, { pin: true })
    process.stderr.write('\n')
  }
  const stats = (report: LatencyReport | undefined, name: string): LatencyLine | undefined => report?.lines.find((l) => l.name === name)
  const bare = stats(free, BARE)!
  const barePinned = stats(pinned, BARE)
  printTable(
    ['line', 'median', 'p99', 'mean', 'median vs bare', '1 core: median', 'p99', 'median vs bare'],
    free.lines.map((l) => {
      const p = stats(pinned, l.name)
      return [
        l.name === BARE ? `${BARE} (bare postMessage round trip)` : l.name,
        us(l.median),
        us(l.p99),
        us(l.mean),
        fmtRatio(l.median / bare.median),
        p === undefined ? '-' : us(p.median),
        p === undefined ? '-' : us(p.p99),
        p === undefined ? '-' : fmtRatio(p.median / barePinned!.median),
      ]
    }),
  )
  console.log(
    '(left: as the machine schedules the threads; "1 core": the same child pinned to one core with taskset -c 0, where no wake-up crosses cores, ' +
      'so what is left is the per-message software cost)',
  )
  reportOthers(Math.max(free.othersCores ?? 0, pinned?.othersCores ?? 0))
  const by = (report: LatencyReport | undefined, pick: (l: LatencyLine) => number): Map<string, number> => new Map(report?.lines.map((l) => [l.name, pick(l)]) ?? [])
  return { medians: by(free, (l) => l.median), p99: by(free, (l) => l.p99), pinnedMedians: by(pinned, (l) => l.median) }
}

// ---------------------------------------------------------------- T4 CPU-bound

async function cpuBound(): Promise<Map<string, number>> {
  const others = watchOthers()
  const s = settings.threads
  const n = s.cpu.tasks
  console.log(
    `\n### T4. CPU-bound: ${n.toLocaleString('en-US')} tasks of 16 sha256 digests of 64 KiB, submitted at once, ${s.workers} workers, vs the same work on the main thread, ${s.rounds} rounds`,
  )
  const SEQUENTIAL = 'sequential (main thread)'
  const lines: (ThreadLibrary | typeof SEQUENTIAL)[] = [poolkit, piscina, poolifier, handRolled, SEQUENTIAL]
  const expected = Array.from({ length: n }, (_, i) => hash(i))
  const times = new Map<string, number[]>()
  for (let round = 0; round < s.rounds; round++) {
    for (const line of ordered(lines, round)) {
      await untilIdle()
      gc()
      let ms: number
      if (line === SEQUENTIAL) {
        const t0 = performance.now()
        for (let i = 0; i < n; i++) if (hash(i) !== expected[i]) throw new Error('hash is not deterministic')
        ms = performance.now() - t0
      } else {
        const runner = await open(line)
        await Promise.all(Array.from({ length: 4 * s.workers }, (_, i) => runner.hash!(i)))
        const t0 = performance.now()
        const all = new Array<PromiseLike<unknown>>(n)
        for (let i = 0; i < n; i++) all[i] = runner.hash!(i)
        const results = await Promise.all(all)
        ms = performance.now() - t0
        results.forEach((r, i) => {
          if (r !== expected[i]) throw new Error(`${line.name}: task ${i} returned ${String(r)}`)
        })
        await closeWithin(line.name, runner)
      }
      const name = line === SEQUENTIAL ? SEQUENTIAL : line.name
      times.set(name, [...(times.get(name) ?? []), ms])
      process.stderr.write('.')
    }
  }
  process.stderr.write('\n')
  const seq = median(times.get(SEQUENTIAL)!)
  const speedup = new Map([...times].map(([name, t]) => [name, seq / median(t)]))
  printTable(
    ['line', 'ms (median)', 'each round', 'ms / task', 'speedup vs sequential'],
    [...times].map(([name, t]) => [name, median(t).toFixed(0), t.map((x) => x.toFixed(0)).join(', '), (median(t) / n).toFixed(3), fmtRatio(speedup.get(name)!)]),
  )
  reportOthers(others)
  return speedup
}

// ---------------------------------------------------------------- T7 busy main thread

/**
 * T7: the T4 batch while the main thread is unavailable `blockMs` of every
 * `everyMs` (`Atomics.wait`, which blocks without using a core, so the workers
 * keep both cores): what a server's main thread doing its own work, or one
 * descheduled on a busy machine, does to a pool. A worker that runs out of
 * work while the main thread is blocked waits; one sent enough ahead does not.
 * Each line's time is also measured with a free main thread, in the same round.
 */
async function busyMain(): Promise<Map<string, number>> {
  const others = watchOthers()
  const s = settings.threads
  const { tasks: n, blockMs, everyMs } = s.busyMain
  console.log(
    `\n### T7. Busy main thread: the T4 work (${n.toLocaleString('en-US')} tasks of about 1 ms) on ${s.workers} workers while the main thread is blocked ${blockMs} ms of every ${everyMs} ms (Atomics.wait: no core used), against the same with a free main thread, ${s.rounds} rounds`,
  )
  const lines: ThreadLibrary[] = [poolkit, piscina, poolifier, handRolled]
  const free = new Map<string, number[]>()
  const busy = new Map<string, number[]>()
  const cell = new Int32Array(new SharedArrayBuffer(4))
  for (let round = 0; round < s.rounds; round++) {
    for (const line of ordered(lines, round)) {
      for (const blocked of round % 2 === 0 ? [false, true] : [true, false]) {
        await untilIdle()
        gc()
        const runner = await open(line)
        await Promise.all(Array.from({ length: 4 * s.workers }, (_, i) => runner.hash!(i)))
        let timer: NodeJS.Timeout | undefined
        const block = (): void => {
          Atomics.wait(cell, 0, 0, blockMs)
          timer = setTimeout(block, everyMs - blockMs)
        }
        const t0 = performance.now()
        if (blocked) timer = setTimeout(block, 0)
        const all = new Array<PromiseLike<unknown>>(n)
        for (let i = 0; i < n; i++) all[i] = runner.hash!(i)
        await Promise.all(all)
        const ms = performance.now() - t0
        clearTimeout(timer)
        await closeWithin(line.name, runner)
        const into = blocked ? busy : free
        into.set(line.name, [...(into.get(line.name) ?? []), ms])
        process.stderr.write('.')
      }
    }
  }
  process.stderr.write('\n')
  const keeps = new Map(lines.map((line) => [line.name, median(free.get(line.name)!) / median(busy.get(line.name)!)]))
  const pk = median(busy.get(poolkit.name)!)
  printTable(
    ['line', 'ms, main blocked (median)', 'each round', 'ms, main free (median)', 'keeps (free / blocked)', 'blocked: time / poolkit'],
    lines.map((line) => {
      const b = busy.get(line.name)!
      return [line.name, median(b).toFixed(0), b.map((x) => x.toFixed(0)).join(', '), median(free.get(line.name)!).toFixed(0), fmtRatio(keeps.get(line.name)!), fmtRatio(median(b) / pk)]
    }),
  )
  reportOthers(others)
  return keeps
}

// ---------------------------------------------------------------- T5 transfer

async function transferSuite(): Promise<void> {
  const s = settings.threads
  const { roundTrips, block, bytes } = s.move
  console.log(
    `\n### T5. Transfer: a ${mb(bytes).replace('.0', '')} ArrayBuffer moved to a worker and back, one at a time, ${roundTrips.toLocaleString('en-US')} round trips per line; ` +
      `every pool open at once in a child process, the lines taking turns in blocks of ${block}`,
  )
  const how = new Map<string, string>([
    [poolkit.name, 'run(buf, { transfer: [buf] }); worker returns transfer(buf, [buf])'],
    [`${poolkit.name} (copy)`, 'run(buf), return buf: copied both ways (reference)'],
    [piscina.name, 'run(Piscina.move(buf)); worker returns Piscina.move(buf)'],
    [poolifier.name, 'execute(buf, name, undefined, [buf]); result copied back (cannot move)'],
    [handRolled.name, 'postMessage with a transfer list both ways'],
  ])
  const args = ['transfer', String(s.workers), String(roundTrips), String(block), String(bytes)]
  await untilIdle()
  const free = await runChild<TransferReport>(args)
  let pinned: TransferReport | undefined
  if (canPin) {
    await untilIdle()
    pinned = await runChild<TransferReport>(args, { pin: true })
  }
  process.stderr.write('\n')
  const pk = free.lines.find((l) => l.name === poolkit.name)!
  const pkPinned = pinned?.lines.find((l) => l.name === poolkit.name)
  printTable(
    ['line', 'round trips/s', 'median µs', 'poolkit vs this', '1 core: trips/s', 'median µs', 'poolkit vs this', 'moved out', 'how'],
    free.lines.map((l) => {
      const p = pinned?.lines.find((x) => x.name === l.name)
      return [
        l.name,
        fmtRate(l.rate),
        (l.median * 1000).toFixed(0),
        fmtRatio(pk.rate / l.rate),
        p === undefined ? '-' : fmtRate(p.rate),
        p === undefined ? '-' : (p.median * 1000).toFixed(0),
        p === undefined ? '-' : fmtRatio(pkPinned!.rate / p.rate),
        l.movedOut ? 'yes' : 'no',
        how.get(l.name) ?? '',
      ]
    }),
    1,
  )
  console.log('(round trips/s = trips / their summed time; "1 core": the child pinned with taskset -c 0; "moved out": the first buffer sent was detached, so it was moved, not copied)')
  reportOthers(Math.max(free.othersCores ?? 0, pinned?.othersCores ?? 0))
}

// ---------------------------------------------------------------- T6 start-up and idle memory

/** poolkit's start-up figures (medians), for the targets. */
interface StartupFigures {
  readonly firstResultMs: number
  readonly readyMs: number
  readonly bytesPerWorker: number
}

async function startup(): Promise<StartupFigures> {
  const s = settings.threads
  console.log(
    `\n### T6. Start-up to the first result and memory per idle worker: ${s.workers} workers, a fresh child process per run ` +
      `(one without --expose-gc for the times, one with it for the memory), ${s.startupRuns} runs per library`,
  )
  const timed = new Map<string, StartupReport[]>()
  const counted = new Map<string, StartupReport[]>()
  const add = (map: Map<string, StartupReport[]>, report: StartupReport): void => void map.set(report.library, [...(map.get(report.library) ?? []), report])
  for (let run = 0; run < s.startupRuns; run++) {
    for (const library of ordered(THREAD_LIBRARIES, run)) {
      const args = ['startup', library.name, String(s.workers)]
      await untilIdle()
      add(timed, await runChild<StartupReport>(args, { exposeGc: false }))
      await untilIdle()
      add(counted, await runChild<StartupReport>(args))
      process.stderr.write('.')
    }
  }
  process.stderr.write('\n')
  const perWorker = (r: StartupReport): number => (r.idleRss! - r.baseRss!) / r.workers
  const first = (rs: readonly StartupReport[]): number => median(rs.map((r) => r.firstResultMs))
  printTable(
    ['library', 'first result ms', 'each run', 'ready() ms', 'with --expose-gc', 'RSS delta / idle worker'],
    THREAD_LIBRARIES.map(({ name }) => {
      const rs = timed.get(name)!
      return [
        name,
        first(rs).toFixed(1),
        rs.map((r) => r.firstResultMs.toFixed(0)).join(', '),
        rs[0]!.readyMs === undefined ? '-' : median(rs.map((r) => r.readyMs!)).toFixed(1),
        first(counted.get(name)!).toFixed(1),
        mb(median(counted.get(name)!.map(perWorker))),
      ]
    }),
  )
  console.log(
    '(from creating the pool, libraries already loaded, to the first result; "with --expose-gc": the same in the memory child, where that flag slows every worker\'s start; ' +
      'RSS delta = (RSS with the workers idle after a few tasks - RSS before the pool, each after a full GC) / workers; medians)',
  )
  reportOthers(Math.max(...[...timed.values(), ...counted.values()].flat().map((r) => r.othersCores ?? 0)))
  const pk = timed.get(poolkit.name)!
  return {
    firstResultMs: first(pk),
    readyMs: median(pk.map((r) => r.readyMs!)),
    bytesPerWorker: median(counted.get(poolkit.name)!.map(perWorker)),
  }
}

// ---------------------------------------------------------------- the suite

/** Suite `threads`: poolkit's node-adapter (worker_threads) against piscina, tinypool, poolifier, workerpool and a hand-rolled pool. */
export async function threads(): Promise<ThreadsResult> {
  const s = settings.threads
  console.log(`\n## Threads: @poolkit/node-adapter threads() vs the thread pools a user would pick instead, ${s.workers} workers each`)
  console.log(
    `piscina ${versionOf('piscina')}, tinypool ${versionOf('tinypool')}, poolifier ${versionOf('poolifier')} (FixedThreadPool), workerpool ${versionOf('workerpool')}; ` +
      `poolkit rows use the adapter's defaults (prefetch up to 256, sized to about prefetchMs = 3 ms of work) unless named; prefetch=N lines set the upper bound: ${s.prefetch.join(', ')}`,
  )
  if (waitIdle) console.log('BENCH_WAIT_IDLE=1: each line waits (up to 30 s) for other processes to go quiet before it starts')
  const rates = await throughput()
  const bursts = await peakRss()
  const peak = new Map<string, number>(bursts.map((r) => [r.library, r.peakRss]))
  const backlog = await backlogBurst(bursts)
  const lat = await latency()
  const speedup = await cpuBound()
  const busyKeeps = await busyMain()
  await transferSuite()
  const start = await startup()

  const judge = (ok: boolean): string => (quick ? 'not judged in quick mode' : ok ? 'met' : 'NOT met')
  const pk = rates.get(poolkit.name)!
  const vsPoolifier = pk / rates.get(poolifier.name)!
  const vsHand = pk / rates.get(handRolled.name)!
  const rss = peak.get(poolkit.name)! / peak.get(handRolled.name)!
  const latRatio = lat.medians.get(poolkit.name)! / lat.medians.get(BARE)!
  const latPinned = lat.pinnedMedians.size > 0 ? lat.pinnedMedians.get(poolkit.name)! / lat.pinnedMedians.get(BARE)! : undefined
  const cpu = speedup.get(poolkit.name)!
  const perWorkerMb = start.bytesPerWorker / 2 ** 20
  console.log('\n### Threads: targets (issue 3; ratios of medians)')
  console.log(`throughput  poolkit / poolifier ${fmtRatio(vsPoolifier)}   target >= 4x: ${judge(vsPoolifier >= 4)}`)
  console.log(`throughput  poolkit / hand-rolled pool ${fmtRatio(vsHand)}   target >= 0.8x: ${judge(vsHand >= 0.8)}`)
  console.log(`peak RSS    poolkit / hand-rolled pool ${fmtRatio(rss)}   target <= 1.3x: ${judge(rss <= 1.3)}`)
  console.log(
    `backlog     poolkit at ${backlog.tasks.toLocaleString('en-US')} tasks keeps ${fmtRatio(backlog.keeps)} of its ${s.tasks.toLocaleString('en-US')}-task rate   target >= 0.8x (issue 21): ${judge(backlog.keeps >= 0.8)}`,
  )
  console.log(`latency     poolkit median / bare round trip ${fmtRatio(latRatio)}   target <= 1.2x: ${judge(latRatio <= 1.2)}`)
  if (latPinned !== undefined) console.log(`latency     the same on one core (taskset -c 0) ${fmtRatio(latPinned)}   target <= 1.2x: ${judge(latPinned <= 1.2)}`)
  console.log(`CPU-bound   poolkit speedup over sequential ${fmtRatio(cpu)}   target >= 1.9x: ${judge(cpu >= 1.9)}`)
  const cpuVsHand = cpu / speedup.get(handRolled.name)!
  console.log(`CPU-bound   poolkit speedup / the hand-rolled pool's ${fmtRatio(cpuVsHand)} (${fmtRatio(speedup.get(handRolled.name)!)})   target >= 0.98x (issue 21): ${judge(cpuVsHand >= 0.98)}`)
  const keeps = busyKeeps.get(poolkit.name)!
  console.log(`busy main   poolkit keeps ${fmtRatio(keeps)} of its rate with the main thread blocked 80% of the time   target >= 0.9x (issue 21): ${judge(keeps >= 0.9)}`)
  console.log(
    `start-up    poolkit first result ${start.firstResultMs.toFixed(1)} ms, all ${s.workers} workers ready ${start.readyMs.toFixed(1)} ms   ` +
      `target < 50 ms per worker (first result < 50 ms and ready < ${50 * s.workers} ms): ${judge(start.firstResultMs < 50 && start.readyMs < 50 * s.workers)}`,
  )
  console.log(`memory      poolkit ${perWorkerMb.toFixed(1)} MB per idle worker   target < 50 MB: ${judge(perWorkerMb < 50)}`)
  if (waitIdle) {
    const w = idleWaits
    console.log(`idle wait   ${w.lines} lines waited ${(w.waitedMs / 1000).toFixed(0)} s in all for a quiet machine; ${w.gaveUp} started without one after 30 s`)
  }
  const hung = [...new Set([...closeHangs.keys(), ...childHangs.keys()])]
  if (hung.length > 0) {
    const counts = hung.map((name) => `${name} ${closeHangs.get(name) ?? 0} time(s) in this process, ${childHangs.get(name) ?? 0} in child processes`)
    console.log(`hangs       close() did not settle within 2 s (its threads were then terminated directly): ${counts.join('; ')}`)
  }
  console.log(`\n### Threads: poolkit's prefetch bound (at most that many tasks sent to a worker ahead of the one it runs), from T1 and T3`)
  const byPrefetch = [poolkit, ...prefetchLines()].map((line) => ({ line, prefetch: Number(/prefetch=(\d+)/.exec(line.name)?.[1] ?? 256) })).sort((a, b) => a.prefetch - b.prefetch)
  printTable(
    ['prefetch', 'tasks/s', 'vs hand-rolled pool', 'vs poolifier', 'latency median', 'latency p99', 'median on 1 core'],
    byPrefetch.map(({ line, prefetch }) => [
      line === poolkit ? `${prefetch} (default)` : String(prefetch),
      fmtRate(rates.get(line.name)!),
      fmtRatio(rates.get(line.name)! / rates.get(handRolled.name)!),
      fmtRatio(rates.get(line.name)! / rates.get(poolifier.name)!),
      us(lat.medians.get(line.name)!),
      us(lat.p99.get(line.name)!),
      lat.pinnedMedians.size > 0 ? us(lat.pinnedMedians.get(line.name)!) : '-',
    ]),
  )
  return { rates, peakRss: peak, latency: lat.medians, speedup }
}
