import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { Agent, get } from 'node:http'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { quick, settings } from '../config.js'
import { fmtRatio, median, printTable } from '../stats.js'
import { ordered, percentile, versionOf } from '../thread-harness.js'

/** One server of examples/http-offload, started with these flags. */
interface HttpLine {
  readonly name: string
  readonly role: 'ours' | 'peer' | 'reference'
  readonly args: readonly string[]
}

/** The server lines, named as the results tables name them. */
export const HTTP_LINE = {
  poolkit: 'poolkit threads() (prefetch 0)',
  poolkitDefault: 'poolkit threads() (default prefetch)',
  piscina: 'piscina (as @fastify/piscina)',
  inline: 'inline (on the event loop)',
} as const

const LINES: readonly HttpLine[] = [
  // The example's server as it ships: one task per worker at a time, so the pool's queue is the only queue.
  { name: HTTP_LINE.poolkit, role: 'ours', args: ['--mode', 'poolkit'] },
  // threads()' default prefetch (256, the window following prefetchMs and the main thread's delay).
  { name: HTTP_LINE.poolkitDefault, role: 'ours', args: ['--mode', 'poolkit', '--prefetch', '256'] },
  { name: HTTP_LINE.piscina, role: 'peer', args: ['--mode', 'piscina'] },
  { name: HTTP_LINE.inline, role: 'reference', args: ['--mode', 'inline'] },
]

const MAIN = fileURLToPath(new URL('../../node_modules/@poolkit/example-http-offload/dist/main.js', import.meta.url))
/** The document every /render request posts: a real README, rendered by marked in 1-2 ms. */
const DOCUMENT = fileURLToPath(new URL('../../../packages/core/README.md', import.meta.url))

/** One load level's figures for one line in one round. */
interface Sample {
  /** 2xx answers per second. */
  readonly rps: number
  /** Latency of the 2xx answers (ms; autocannon's whole-millisecond histogram). */
  readonly p50: number
  readonly p99: number
  /** p99 of GET /health, probed every `probeMs` while the load ran (ms). */
  readonly healthP99: number
  /** Share of the answers that were 503 with a Retry-After header. */
  readonly refused: number
  /** Answers that were neither 2xx nor 503 + Retry-After. */
  readonly other: number
  /** The most tasks /health saw waiting for a worker. */
  readonly maxQueued: number
  /** The Retry-After values seen (seconds), distinct. */
  readonly retryAfter: readonly number[]
}

/** What the http suite measured: medians over rounds, by load level then line. */
export interface HttpResult {
  readonly workers: number
  readonly maxQueue: number
  readonly documentBytes: number
  readonly connections: readonly number[]
  readonly overload: { readonly connections: number; readonly rate: number | undefined }
  /** `@8`, `@32`, ..., and `overload`. */
  readonly levels: Map<string, Map<string, Sample>>
  /** Each SIGTERM'd server's exit code, by line: 0 when every close was clean. */
  readonly exitCodes: Map<string, readonly (number | null)[]>
}

interface Server {
  readonly url: string
  readonly child: ChildProcess
}

async function startServer(line: HttpLine, workers: number, maxQueue: number): Promise<Server> {
  // piscina keeps its default unbounded queue, as @fastify/piscina leaves it.
  const bound = line.args.includes('piscina') ? [] : ['--max-queue', String(maxQueue)]
  const child = spawn(process.execPath, [MAIN, ...line.args, '--port', '0', '--workers', String(workers), ...bound], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c))
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c
      const end = out.indexOf('\n')
      if (end >= 0) resolve({ url: (JSON.parse(out.slice(0, end)) as { url: string }).url, child })
    })
    child.once('exit', (code) => reject(new Error(`${line.name}: the server exited with code ${code} before it listened: ${stderr}`)))
  })
}

async function stopServer(server: Server): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)))
  server.child.kill('SIGTERM')
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 15_000)
  const code = await exited
  clearTimeout(timer)
  return code
}

interface Health {
  status: string
  queued: number
  running: number
}

function health(url: string, agent: Agent): Promise<Health> {
  return new Promise((resolve, reject) => {
    get(`${url}/health`, { agent }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (c: string) => (body += c))
      res.on('end', () => resolve(JSON.parse(body) as Health))
    }).on('error', reject)
  })
}

/** Probes /health one request at a time, one every `everyMs`, until stopped; its latencies (ms) and the largest queue it saw. */
function probeHealth(url: string, everyMs: number): () => Promise<{ latencies: number[]; maxQueued: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const latencies: number[] = []
  let maxQueued = 0
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      const t0 = performance.now()
      const h = await health(url, agent)
      latencies.push(performance.now() - t0)
      maxQueued = Math.max(maxQueued, h.queued)
      await new Promise((resolve) => setTimeout(resolve, everyMs))
    }
  })()
  return async () => {
    stopped = true
    await loop
    agent.destroy()
    return { latencies, maxQueued }
  }
}

/** Waits until the server has nothing queued or running (the previous load's last requests). */
async function drained(url: string): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  try {
    for (let i = 0; i < 500; i++) {
      const h = await health(url, agent)
      if (h.queued === 0 && h.running === 0) return
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  } finally {
    agent.destroy()
  }
}

/** One autocannon run of POST /render with the health probe beside it. */
async function load(url: string, body: string, connections: number, durationS: number, overallRate?: number): Promise<Sample> {
  await drained(url)
  const { probeMs } = settings.http
  const retryAfter = new Set<number>()
  let refused = 0
  let other = 0
  const stopProbe = probeHealth(url, probeMs)
  const result = await autocannon({
    url: `${url}/render`,
    connections,
    duration: durationS,
    ...(overallRate === undefined ? {} : { overallRate }),
    // The latency histogram holds the 2xx answers only: a 503 is quick, and would flatter the p99.
    excludeErrorStats: true,
    requests: [
      {
        method: 'POST',
        body,
        headers: { 'content-type': 'text/markdown' },
        onResponse(status, _body, _context, headers) {
          if (status >= 200 && status < 300) return
          const after = (headers as Record<string, string | undefined>)['retry-after']
          if (status === 503 && after !== undefined) {
            refused++
            retryAfter.add(Number(after))
          } else other++
        },
      },
    ],
  })
  const probe = await stopProbe()
  const answered = result['2xx'] + result.non2xx
  return {
    rps: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    healthP99: percentile(probe.latencies, 0.99),
    refused: answered === 0 ? 0 : refused / answered,
    other: other + result.errors,
    maxQueued: probe.maxQueued,
    retryAfter: [...retryAfter].sort((a, b) => a - b),
  }
}

/** A version from the example's own dependencies (marked is not one of the benchmarks'). */
function exampleVersionOf(name: string): string {
  try {
    const url = new URL(`../../node_modules/@poolkit/example-http-offload/node_modules/${name}/package.json`, import.meta.url)
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version
  } catch {
    return '?'
  }
}

const ms = (v: number): string => (v >= 100 ? `${v.toFixed(0)} ms` : `${v.toFixed(1)} ms`)
const pct = (v: number): string => `${(v * 100).toFixed(1)}%`

/**
 * Suite `http`: examples/http-offload's server (POST /render: Markdown to HTML with
 * marked; GET /health) in a child process per line and round, driven by autocannon on
 * 127.0.0.1: the render on poolkit's threads(), on piscina as @fastify/piscina runs
 * it, and inline. At each fixed connection count: 2xx requests/s, p50/p99, and the p99
 * of /health probed while the render route is loaded; then an overload (more
 * connections at a fixed rate above what the workers render) for the share answered
 * 503 + Retry-After and the largest queue. Lines take turns, the order reversed each
 * round; medians over rounds.
 */
export async function http(): Promise<HttpResult> {
  const { workers, maxQueue, connections, durationS, warmupS, overload, rounds, probeMs } = settings.http
  const body = readFileSync(DOCUMENT, 'utf8')
  const offered = `${overload.connections} connections ${overload.rate === undefined ? 'in closed loop' : `at ${overload.rate} req/s`}`
  console.log(`\n## HTTP: CPU work behind a node:http server (examples/http-offload), ${workers} workers, driven by autocannon on 127.0.0.1`)
  console.log(
    `marked ${exampleVersionOf('marked')} (the example's), piscina ${versionOf('piscina')}, autocannon ${versionOf('autocannon')}; POST /render of ${DOCUMENT.replace(/^.*\/packages\//, 'packages/')} (${body.length.toLocaleString('en-US')} bytes); ` +
      `poolkit maxQueue ${maxQueue} (onQueueFull 'reject' -> 503 + Retry-After), piscina with its default unbounded queue`,
  )
  console.log(
    `each line and round: a fresh server process, ${warmupS} s warm-up, then ${durationS} s at each of ${connections.join(', ')} connections and ${durationS} s of overload (${offered}); ` +
      `/health probed one request at a time every ${probeMs} ms meanwhile; ${rounds} round(s), alternating order; load average at the start ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  )

  const levels = [...connections.map((c) => `@${c}`), 'overload']
  const samples = new Map(levels.map((level) => [level, new Map(LINES.map((l) => [l.name, [] as Sample[]]))]))
  const exitCodes = new Map(LINES.map((l) => [l.name, [] as (number | null)[]]))
  for (let round = 0; round < rounds; round++) {
    for (const line of ordered(LINES, round)) {
      const server = await startServer(line, workers, maxQueue)
      try {
        await autocannon({ url: `${server.url}/render`, connections: connections[0], duration: warmupS, method: 'POST', body })
        for (const c of connections)
          samples
            .get(`@${c}`)!
            .get(line.name)!
            .push(await load(server.url, body, c, durationS))
        samples
          .get('overload')!
          .get(line.name)!
          .push(await load(server.url, body, overload.connections, durationS, overload.rate))
      } finally {
        exitCodes.get(line.name)!.push(await stopServer(server))
      }
    }
  }

  // Each figure is the median over rounds of that figure (so a row may mix rounds).
  const medians = new Map<string, Map<string, Sample>>()
  for (const [level, byLine] of samples) {
    const m = new Map<string, Sample>()
    for (const [name, s] of byLine) {
      const of = (f: (x: Sample) => number): number => median(s.map(f))
      m.set(name, {
        rps: of((x) => x.rps),
        p50: of((x) => x.p50),
        p99: of((x) => x.p99),
        healthP99: of((x) => x.healthP99),
        refused: of((x) => x.refused),
        other: Math.max(...s.map((x) => x.other)),
        maxQueued: Math.max(...s.map((x) => x.maxQueued)),
        retryAfter: [...new Set(s.flatMap((x) => x.retryAfter))].sort((a, b) => a - b),
      })
    }
    medians.set(level, m)
  }

  const peer = HTTP_LINE.piscina
  for (const c of connections) {
    const m = medians.get(`@${c}`)!
    const p = m.get(peer)!
    console.log(`\n### H@${c}. POST /render at ${c} connections (closed loop, ${durationS} s)`)
    printTable(
      ['line', 'req/s (2xx)', 'p50', 'p99', '/health p99', '503s', 'other errors', 'req/s / piscina', 'piscina p99 / this'],
      [...m].map(([name, s]) => [name, s.rps.toFixed(0), ms(s.p50), ms(s.p99), ms(s.healthP99), pct(s.refused), String(s.other), fmtRatio(s.rps / p.rps), fmtRatio(p.p99 / s.p99)]),
    )
  }
  const o = medians.get('overload')!
  const p = o.get(peer)!
  console.log(`\n### H-overload. POST /render, ${offered} (${durationS} s)`)
  printTable(
    ['line', 'req/s (2xx)', '2xx p50', '2xx p99', '/health p99', '503 + Retry-After', 'Retry-After (s)', 'largest queue', 'req/s / piscina'],
    [...o].map(([name, s]) => [
      name,
      s.rps.toFixed(0),
      ms(s.p50),
      ms(s.p99),
      ms(s.healthP99),
      pct(s.refused),
      s.retryAfter.length === 0 ? '-' : s.retryAfter.join(', '),
      String(s.maxQueued),
      fmtRatio(s.rps / p.rps),
    ]),
  )
  console.log(
    `(load average at the end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; exit codes on SIGTERM: ${[...exitCodes].map(([n, codes]) => `${n} ${codes.join('/')}`).join(', ')})`,
  )

  const judge = (ok: boolean): string => (quick ? 'not judged in quick mode' : ok ? 'met' : 'NOT met')
  for (const ours of [HTTP_LINE.poolkit, HTTP_LINE.poolkitDefault]) {
    for (const c of connections) {
      const s = medians.get(`@${c}`)!.get(ours)!
      const q = medians.get(`@${c}`)!.get(peer)!
      console.log(
        `http        ${ours} @${c}: req/s / piscina ${fmtRatio(s.rps / q.rps)}, piscina p99 / ours ${fmtRatio(q.p99 / s.p99)}   target both >= 1x: ${judge(s.rps >= q.rps && s.p99 <= q.p99)}; ` +
          `/health p99 ${ms(s.healthP99)} (inline ${ms(medians.get(`@${c}`)!.get(HTTP_LINE.inline)!.healthP99)})   target < 5 ms: ${judge(s.healthP99 < 5)}`,
      )
    }
    const s = o.get(ours)!
    console.log(
      `http        ${ours} overload: ${pct(s.refused)} answered 503 + Retry-After (${s.retryAfter.join(', ')} s), queue at most ${s.maxQueued} (maxQueue ${maxQueue}); piscina's queue reached ${p.maxQueued}   target 503s with a bounded queue: ${judge(s.refused > 0 && s.maxQueued <= maxQueue)}`,
    )
  }
  return { workers, maxQueue, documentBytes: body.length, connections, overload, levels: medians, exitCodes }
}
