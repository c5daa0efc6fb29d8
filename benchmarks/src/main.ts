// pnpm bench [--quick] [throughput] [priority] [memory] [threads] [scaling] [queues] [metrics] [breaker] [browser] [resource] [bullmq] [keys] [routing] [demo] [web-parse] [http] [gateway]   (--quick or BENCH_QUICK=1 for a smoke run, BENCH_VERBOSE=1 for tinybench's own tables)
// Writes benchmarks/results/<date>.json and .md (report.ts) and, after a full run with throughput or latency tables, docs/bench.svg (chart.ts).
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism, cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { writeChart } from './chart.js'
import { quick, selectedSuites, settings } from './config.js'
import { writeResults } from './report.js'
import { collectResults } from './results.js'
import { fmtRate, fmtRatio } from './stats.js'
import { breaker, LINE, type BreakerResult } from './suites/breaker.js'
import { browser, type BrowserResult } from './browser.js'
import { bullmq } from './suites/bullmq.js'
import { demo } from './suites/demo.js'
import { webParse } from './suites/web-parse.js'
import { http } from './suites/http.js'
import { gateway } from './suites/gateway.js'
import { memory, type MemoryResult } from './suites/memory.js'
import type { MemoryReport } from './memory-report.js'
import { metrics, type MetricsResult } from './suites/metrics.js'
import { priority, type PriorityResult } from './suites/priority.js'
import { keys } from './suites/keys.js'
import { resource } from './suites/resource.js'
import { routing } from './suites/routing.js'
import { scaling } from './suites/scaling.js'
import { threads } from './suites/threads.js'
import { QUEUE_NAMES, queues, type QueuesResult } from './suites/queues.js'
import { throughput, type ThroughputResult } from './suites/throughput.js'

/** Versions of what is measured, so a pasted result says what it was taken on. */
function versions(): string {
  const version = (name: string): string => {
    try {
      const url = new URL(`../node_modules/${name}/package.json`, import.meta.url)
      return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version
    } catch {
      return '?'
    }
  }
  let core = 'workspace'
  try {
    const packagesDir = fileURLToPath(new URL('../../packages', import.meta.url))
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: packagesDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const dirty = git('status', '--porcelain', '--', 'core', 'queue', 'metrics', 'breaker', 'routing') !== ''
    core = `git ${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes' : ''}`
  } catch {
    // Not a git checkout: leave it at 'workspace'.
  }
  const peers = [
    'p-queue',
    'p-limit',
    'denque',
    'yocto-queue',
    'heap-js',
    'tinyqueue',
    '@datastructures-js/priority-queue',
    'hdr-histogram-js',
    'prom-client',
    'cockatiel',
    'opossum',
    'bottleneck',
    'piscina',
    'tinypool',
    'poolifier',
    'workerpool',
    'tinybench',
    'autocannon',
  ]
  return `@poolkit/core, @poolkit/queue, @poolkit/metrics, @poolkit/breaker and @poolkit/routing (${core}), ${peers.map((p) => `${p} ${version(p)}`).join(', ')}`
}

function geomean(values: readonly number[]): number {
  return Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length)
}

const met = (ok: boolean): string => (quick ? 'not judged in quick mode' : ok ? 'met' : 'NOT met')

function summarise(
  t: ThroughputResult | undefined,
  p: PriorityResult | undefined,
  m: MemoryResult | undefined,
  q: QueuesResult | undefined,
  mx: MetricsResult | undefined,
  b: BreakerResult | undefined,
  w: BrowserResult | undefined,
): void {
  // The threads suite prints its own targets; no empty header when it ran alone.
  if (t === undefined && p === undefined && m === undefined && q === undefined && mx === undefined && b === undefined && w === undefined) return
  console.log('\n## Summary (ratios of medians; > 1x means poolkit is faster / smaller)')
  if (t !== undefined) {
    for (const peer of ['p-queue', 'p-limit', 'minimal limiter']) {
      const ratios = [...t.rates].map(([, byLib]) => byLib.get('poolkit')! / byLib.get(peer)!)
      const each = [...t.rates].map(([c, byLib]) => `@${c} ${fmtRatio(byLib.get('poolkit')! / byLib.get(peer)!)}`).join(', ')
      const judged = settings.throughput.batch === 10_000 ? met(geomean(ratios) >= 4) : 'not judged (the target is for batches of 10,000)'
      const target = peer === 'p-queue' ? `   target >= 4x: ${judged}` : ''
      const fromMeans = geomean([...t.meanRates].map(([, byLib]) => byLib.get('poolkit')! / byLib.get(peer)!))
      console.log(`throughput  poolkit / ${peer.padEnd(15)} ${each}, geomean ${fmtRatio(geomean(ratios))} (from means ${fmtRatio(fromMeans)})${target}`)
    }
    const sizes = [...t.backlog.rates.keys()]
    const first = t.backlog.rates.get(sizes[0]!)!
    const full = sizes.length === 3 && sizes[0] === 10_000
    for (const library of ['poolkit run()', 'poolkit submit()'] as const) {
      const flat = sizes.slice(1).map((n) => t.backlog.rates.get(n)!.get(library)! / first.get(library)!)
      const vsPeer = sizes.map((n) => t.backlog.rates.get(n)!.get(library)! / t.backlog.rates.get(n)!.get('p-queue')!)
      const judge = (ok: boolean): string => (full ? met(ok) : 'not judged (quick sizes)')
      console.log(
        `backlog     ${library.padEnd(16)} at ${sizes
          .slice(1)
          .map((n, i) => `${n.toLocaleString('en-US')}: ${fmtRatio(flat[i]!)}`)
          .join(', ')} of its ${sizes[0]!.toLocaleString('en-US')}-task rate   target >= 0.75x: ${judge(Math.min(...flat) >= 0.75)}`,
      )
      console.log(
        `backlog     ${library.padEnd(16)} / p-queue ${sizes.map((n, i) => `@${n.toLocaleString('en-US')} ${fmtRatio(vsPeer[i]!)}`).join(', ')}   target >= 4x at every size: ${judge(Math.min(...vsPeer) >= 4)}`,
      )
    }
    // What the promises alone cost per task at each size: the part of run()'s time no pool can save.
    const floor = sizes.map(
      (n) => `@${n.toLocaleString('en-US')} ${(1e6 / t.backlog.rates.get(n)!.get('promises alone')!).toFixed(2)} µs of ${(1e6 / t.backlog.rates.get(n)!.get('poolkit run()')!).toFixed(2)} µs`,
    )
    console.log(`backlog     promises alone (no pool), per task, against poolkit run(): ${floor.join(', ')}`)
  }
  if (p !== undefined) {
    const own = p.mixed.get('poolkit')! / p.single.get('poolkit')!
    const peer = p.mixed.get('p-queue')! / p.single.get('p-queue')!
    console.log(`priority    poolkit mixed/single ${fmtRatio(own)} (${fmtRate(p.mixed.get('poolkit')!)} vs ${fmtRate(p.single.get('poolkit')!)})   target >= 0.80x: ${met(own >= 0.8)}`)
    console.log(`priority    p-queue mixed/single ${fmtRatio(peer)} (${fmtRate(p.mixed.get('p-queue')!)} vs ${fmtRate(p.single.get('p-queue')!)})`)
    console.log(`priority    poolkit / p-queue, mixed ${fmtRatio(p.mixed.get('poolkit')! / p.mixed.get('p-queue')!)}, single ${fmtRatio(p.single.get('poolkit')! / p.single.get('p-queue')!)}`)
  }
  if (m !== undefined) {
    const pk = m.reports.get('poolkit')!
    const pq = m.reports.get('p-queue')!
    const mb = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MB`
    console.log(
      `memory      ${pk.tasks.toLocaleString('en-US')} queued: RSS poolkit ${mb(pk.queuedRss)} vs p-queue ${mb(pq.queuedRss)} (p-queue / poolkit ${fmtRatio(pq.queuedRss / pk.queuedRss)}); ` +
        `max RSS ${mb(pk.maxRss)} vs ${mb(pq.maxRss)} (${fmtRatio(pq.maxRss / pk.maxRss)})`,
    )
    const perTask = (r: MemoryReport): number => (r.queuedHeap - r.baseHeap) / r.tasks
    const sub = m.reports.get('poolkit submit()')!
    const ok = pk.tasks >= 1_000_000 ? met(Math.max(perTask(pk), perTask(sub)) <= 250) : 'not judged (quick size)'
    console.log(`memory      heap per queued task: poolkit run() ${perTask(pk).toFixed(0)} B, submit() ${perTask(sub).toFixed(0)} B, p-queue ${perTask(pq).toFixed(0)} B   target <= 250 B: ${ok}`)
  }
  if (q !== undefined) {
    const rate = (id: string): number => q.rates.get(id)!
    const [ownFifo, ...fifoPeers] = QUEUE_NAMES.fifo
    for (const c of QUEUE_NAMES.fifoCases) {
      const fifoVs = fifoPeers.map((peer) => `/ ${peer} ${fmtRatio(rate(`fifo ${c} ${ownFifo}`) / rate(`fifo ${c} ${peer}`))}`).join(', ')
      const vsDenque = rate(`fifo ${c} ${ownFifo}`) / rate(`fifo ${c} denque`)
      console.log(`queues      fifo (${c}) ${fifoVs}   target >= 1x denque: ${met(vsDenque >= 1)}`)
    }
    const [ownHeap, ...heapPeers] = QUEUE_NAMES.heaps
    const worst: number[] = []
    const perCase = QUEUE_NAMES.priorityCases.map((c) => {
      const fastest = heapPeers.reduce((a, b) => (rate(`${c} ${a}`) >= rate(`${c} ${b}`) ? a : b))
      const ratio = rate(`${c} ${ownHeap}`) / rate(`${c} ${fastest}`)
      worst.push(ratio)
      return `${c} ${fmtRatio(ratio)} (fastest peer: ${fastest})`
    })
    console.log(`queues      priority / fastest heap: ${perCase.join(', ')}   target >= 1x in every case: ${met(Math.min(...worst) >= 1)}`)
    const [base, ...others] = QUEUE_NAMES.pool
    console.log(`queues      in a pool, vs ${base}: ${others.map((o) => `${o.replace('@poolkit/queue ', '')} ${fmtRatio(rate(`pool ${o}`) / rate(`pool ${base}`))}`).join(', ')}`)
  }
  if (mx !== undefined) {
    const [own, ...peers] = [...mx.recordNs]
    const ratios = peers.map(([name, ns]) => ({ name, ratio: ns / own![1] }))
    const vs = ratios.map((r) => `/ ${r.name} ${fmtRatio(r.ratio)}`).join(', ')
    console.log(`metrics     histogram record(), ${own![1].toFixed(2)} ns: ${vs}   target faster than both: ${met(ratios.every((r) => r.ratio > 1))}`)
    const hook = mx.overhead.hookNs
    console.log(`metrics     onSettled (the one hook per task) ${hook.plain.toFixed(1)} ns, ${hook.keyed.toFixed(1)} ns with 16 keys`)
    for (const [concurrency, k] of mx.overhead.kept) {
      const lost = (1 - k.plain) * 100
      console.log(
        `metrics     attached to a pool at concurrency ${concurrency}: ${lost.toFixed(1)}% of throughput lost (with 16 keys: ${((1 - k.keyed) * 100).toFixed(1)}%)   target < 10%: ${met(lost < 10)}`,
      )
    }
  }
  if (b !== undefined) {
    // Each ratio is the peer's cost over ours (ns) or our rate over the peer's: above 1x, ours is faster.
    const vsFaster = (ours: number, peers: readonly [string, number][], lowerIsBetter: boolean): string => {
      const ratios = peers.map(([name, v]) => ({ name, r: lowerIsBetter ? v / ours : ours / v }))
      const faster = ratios.reduce((a, c) => (c.r < a.r ? c : a))
      return `${ratios.map((x) => `/ ${x.name} ${fmtRatio(x.r)}`).join(', ')}   target no slower than the faster (${faster.name}): ${met(faster.r >= 1)}`
    }
    const c = b.closedNs
    console.log(
      `breaker     B1 closed, execute ${c.get(LINE.oursExecute)!.toFixed(0)} ns/call ${vsFaster(
        c.get(LINE.oursExecute)!,
        [
          ['cockatiel', c.get(LINE.cockatiel)!],
          ['opossum', c.get(LINE.opossum)!],
        ],
        true,
      )}`,
    )
    console.log(`breaker     B1 closed, pool path (admit+acquire+onSuccess) ${c.get(LINE.oursPoolPath)!.toFixed(1)} ns/call; await floor ${c.get(LINE.floor)!.toFixed(0)} ns`)
    const o = b.openNs
    console.log(
      `breaker     B2 open, execute ${o.get(LINE.oursExecute)!.toFixed(0)} ns/call / cockatiel ${fmtRatio(o.get(LINE.cockatiel)! / o.get(LINE.oursExecute)!)}, / opossum ${fmtRatio(o.get(LINE.opossum)! / o.get(LINE.oursExecute)!)}; admit ${o.get(LINE.oursAdmit)!.toFixed(1)} ns (no target)`,
    )
    const l = b.limiterNs
    console.log(
      `breaker     B3 limiter decision ${l.get(LINE.oursLimiter)!.toFixed(1)} ns/call ${vsFaster(
        l.get(LINE.oursLimiter)!,
        [
          ['bottleneck', l.get(LINE.bottleneck)!],
          ['p-queue', l.get(LINE.pQueue)!],
        ],
        true,
      )}`,
    )
    const r = b.limiterRates
    const kept = r.get(LINE.poolLimited)! / r.get(LINE.poolBare)!
    console.log(
      `breaker     B3 pool + limiter ${fmtRate(r.get(LINE.poolLimited)!)} (${((1 - kept) * 100).toFixed(1)}% below no limiter) ${vsFaster(
        r.get(LINE.poolLimited)!,
        [
          ['bottleneck', r.get(LINE.bottleneckPool)!],
          ['p-queue', r.get(LINE.pQueuePool)!],
        ],
        false,
      )}`,
    )
    for (const pc of b.pacing) {
      // The bound is reached exactly when the queue stays full: every line here submits all its tasks at once.
      const ok = pc.maxInWindow === pc.bound
      const how = pc.algorithm === 'sliding-window' ? 'sliding window' : `token bucket, burst ${pc.burst ?? `default ${pc.bound - pc.perSecond + 1}`}`
      console.log(`breaker     B4 pacing at ${pc.perSecond}/s (${how}): max ${pc.maxInWindow} starts in any 1 s window, allowed ${pc.bound}: ${ok ? 'exact' : 'WRONG'}`)
    }
  }
  if (w !== undefined) {
    const own = w.rates.get('poolkit')!
    console.log(
      `browser     Chromium ${w.version}: no-op ${fmtRate(own)}, / workerpool ${fmtRatio(own / w.rates.get('workerpool')!)}, / hand-rolled ${fmtRatio(own / w.rates.get('hand-rolled postMessage')!)}; ` +
        `round trip ${(w.latency.get('poolkit')! * 1000).toFixed(0)} µs (bare echo ${(w.latency.get('bare echo worker')! * 1000).toFixed(0)} µs); CPU-bound speedup ${fmtRatio(w.speedup.get('poolkit')!)} (hand-rolled ${fmtRatio(w.speedup.get('hand-rolled postMessage')!)})`,
    )
  }
}

async function main(): Promise<void> {
  const suites = selectedSuites(process.argv.slice(2))
  const started = performance.now()
  const date = new Date().toISOString()
  const cpu = cpus()[0]?.model ?? 'unknown CPU'
  const measured = versions()
  console.log(`# poolkit benchmarks${quick ? ' (QUICK MODE: small counts, not for reporting)' : ''}`)
  console.log(`node ${process.version}, ${process.platform}/${process.arch}, ${availableParallelism()} cores (${cpu}), ${date}`)
  console.log(measured)
  console.log(`suites: ${suites.join(', ')}; figures are medians over all samples (MAD = median absolute deviation / median)`)
  if ((globalThis as { gc?: unknown }).gc === undefined) console.log('(no --expose-gc: cases do not start on a collected heap)')

  const t = suites.includes('throughput') ? await throughput() : undefined
  const p = suites.includes('priority') ? await priority() : undefined
  const m = suites.includes('memory') ? await memory() : undefined
  // The threads suite prints its own targets at the end of its section.
  const th = suites.includes('threads') ? await threads() : undefined
  const sc = suites.includes('scaling') ? await scaling() : undefined
  const q = suites.includes('queues') ? await queues() : undefined
  const mx = suites.includes('metrics') ? await metrics() : undefined
  const b = suites.includes('breaker') ? await breaker() : undefined
  const w = suites.includes('browser') ? await browser() : undefined
  // The resource suite prints its own targets at the end of its section.
  const rs = suites.includes('resource') ? await resource() : undefined
  // The bullmq suite starts its own redis-server and prints its own targets.
  const bq = suites.includes('bullmq') ? await bullmq() : undefined
  // The keys suite prints its own targets.
  const ks = suites.includes('keys') ? await keys() : undefined
  // The routing suite prints its own targets.
  const rt = suites.includes('routing') ? await routing() : undefined
  // The demo suite prints its own targets.
  if (suites.includes('demo')) await demo()
  // The web-parse suite prints its own ratios.
  if (suites.includes('web-parse')) await webParse()
  // The http suite starts examples/http-offload's servers and prints its own targets.
  const ht = suites.includes('http') ? await http() : undefined
  // The gateway suite runs the example in child processes and prints its own targets.
  const gw = suites.includes('gateway') ? await gateway() : undefined
  summarise(t, p, m, q, mx, b, w)
  const durationS = (performance.now() - started) / 1000
  const results = collectResults(
    { date, quick, node: process.version, platform: `${process.platform}/${process.arch}`, cpu, cores: availableParallelism(), versions: measured, suites, durationS, settings },
    { throughput: t, priority: p, memory: m, queues: q, threads: th, scaling: sc, metrics: mx, breaker: b, browser: w, resource: rs, bullmq: bq, keys: ks, routing: rt, http: ht, gateway: gw },
  )
  const files = writeResults(results)
  console.log(`\nresults: ${files.json}\nreport:  ${files.md}`)
  // A quick run never replaces the chart in docs/: its figures are not for reporting (node dist/chart.js <file> draws any results file).
  if (!quick && results.tables.some((table) => table.chart !== undefined)) console.log(`chart:   ${writeChart(results)}`)
  console.log(`\ndone in ${durationS.toFixed(0)} s (settings: ${JSON.stringify(settings)})`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
