// Suite 8, browser: @poolkit/web-adapter's webWorkers() against workerpool's browser build and a
// hand-written postMessage pool, in one page of headless Chromium (Debian's /usr/bin/chromium).
// The page (benchmarks/browser/) runs every line; this script serves it, drives it and prints the tables.
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { extname, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
// Types only (erased): the module itself is loaded with createRequire below.
import type * as Playwright from '../../packages/web-adapter/node_modules/playwright-core/index.js'
import { quick, settings } from './config.js'
import { fmtRate, fmtRatio, median, printTable, relativeMad } from './stats.js'

const CHROMIUM = process.env.BENCH_CHROMIUM ?? '/usr/bin/chromium'
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
const repo = fileURLToPath(new URL('../../', import.meta.url))

/** URL prefix → folder served; the first prefix that matches wins. */
const ROUTES: readonly (readonly [string, string])[] = [
  ['/core/', join(repo, 'packages/core/dist')],
  ['/web-adapter/', join(repo, 'packages/web-adapter/dist')],
  ['/workerpool/', join(repo, 'benchmarks/node_modules/workerpool/dist')],
  ['/', join(repo, 'benchmarks/browser')],
]

/** Bare specifiers rewritten in served .js files: import maps do not reach into module Web Workers. */
const SPECIFIERS: Readonly<Record<string, string>> = {
  '@poolkit/core': '/core/index.js',
  '@poolkit/core/worker': '/core/worker.js',
  '@poolkit/core/remote': '/core/remote.js',
  '@poolkit/core/validate': '/core/validate.js',
  '@poolkit/core/emitter': '/core/emitter.js',
  '@poolkit/web-adapter': '/web-adapter/index.js',
  '@poolkit/web-adapter/worker': '/web-adapter/worker.js',
}

const TYPES: Readonly<Record<string, string>> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.map': 'application/json' }

/** What the page's runBench() returns (benchmarks/browser/bench.js). */
interface PageResult {
  env: { userAgent: string; hardwareConcurrency: number; crossOriginIsolated: boolean; workers: number }
  throughput: Record<string, { ms: number[]; submitMs: number[] }>
  latency: Record<string, number[]>
  cpu: { mainMs: number[]; lines: Record<string, number[]> }
}

/** What main.ts summarises. */
export interface BrowserResult {
  readonly version: string
  /** Median no-op tasks/s, by line. */
  readonly rates: Map<string, number>
  /** Median round trip (ms), by line. */
  readonly latency: Map<string, number>
  /** Main-thread time / pool time (medians), by line. */
  readonly speedup: Map<string, number>
}

/** Serves the page, the built packages and workerpool's dist on 127.0.0.1, cross-origin isolated (5 µs timers instead of 100 µs). */
async function startServer(): Promise<{ origin: string; server: Server }> {
  const answer = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      // Inside the try: decodeURIComponent throws on a malformed escape (`/%E0%A4%A`).
      const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname)
      const route = ROUTES.find(([prefix]) => pathname.startsWith(prefix))
      const file = route === undefined ? undefined : resolve(route[1], pathname.slice(route[0].length) || 'index.html')
      if (route === undefined || file === undefined || !file.startsWith(route[1] + sep)) {
        response.writeHead(404).end()
        return
      }
      const raw = await readFile(file)
      const body =
        extname(file) === '.js'
          ? raw
              .toString('utf8')
              .replace(/(\bfrom\s*|\bimport\s*\(?\s*)(['"])(@poolkit\/[^'"]+)\2/g, (all, lead: string, q: string, spec: string) =>
                SPECIFIERS[spec] === undefined ? all : `${lead}${q}${SPECIFIERS[spec]}${q}`,
              )
          : raw
      response
        .writeHead(200, {
          'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
          'cache-control': 'no-store',
          'cross-origin-opener-policy': 'same-origin',
          'cross-origin-embedder-policy': 'require-corp',
          'cross-origin-resource-policy': 'same-origin',
        })
        .end(body)
    } catch {
      response.writeHead(404).end()
    }
  }
  // answer() never rejects: whatever fails is answered with a 404.
  const server = createServer((request, response) => void answer(request, response))
  await new Promise<void>((done, fail) => server.once('error', fail).listen(0, '127.0.0.1', done))
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

const us = (ms: number): string => `${(ms * 1000).toFixed(1)} µs`
const quantile = (values: readonly number[], q: number): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]!

/** Runs the browser suite and prints its three tables. */
export async function browser(): Promise<BrowserResult> {
  for (const [prefix, folder] of ROUTES.slice(0, 2)) {
    if (!existsSync(join(folder, 'index.js'))) throw new Error(`${folder} is not built (served at ${prefix}); run pnpm turbo run build --filter @poolkit/core --filter @poolkit/web-adapter`)
  }
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set BENCH_CHROMIUM)`)
  // benchmarks does not depend on playwright-core: it is the web adapter's devDependency, resolved from there,
  // so the lockfile keeps one copy and the browser tests and this suite drive the same client.
  const { chromium } = createRequire(join(repo, 'packages/web-adapter/package.json'))('playwright-core') as typeof Playwright
  const { origin, server } = await startServer()
  const instance = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  try {
    const version = instance.version()
    const page = await instance.newPage()
    page.on('console', (message) => {
      if (message.type() === 'log') process.stdout.write('.')
      else if (message.type() === 'error') console.error(`\n[page] ${message.text()}`)
    })
    page.on('pageerror', (error) => console.error(`\n[page] ${error.message}`))
    await page.goto(`${origin}/index.html`)
    await page.waitForFunction(() => (globalThis as { benchReady?: boolean }).benchReady === true, undefined, { timeout: 10_000 })
    const r = await page.evaluate((options) => (globalThis as unknown as { runBench(o: unknown): Promise<PageResult> }).runBench(options), settings.browser)
    await page.close()
    console.log()
    return report(version, r)
  } finally {
    await instance.close()
    await new Promise<void>((done) => server.close(() => done()))
  }
}

function report(version: string, r: PageResult): BrowserResult {
  const { workers } = r.env
  console.log(`\n## 8. Browser: headless Chromium ${version}, ${workers} workers per pool (hardwareConcurrency ${r.env.hardwareConcurrency})`)
  if (!r.env.crossOriginIsolated) console.log('(page NOT cross-origin isolated: performance.now() is coarsened to 100 µs, round trips are unreliable)')

  const t = settings.browser.throughput
  console.log(`\n### W1. No-op throughput: ${t.tasks.toLocaleString('en-US')} tasks (returning their input) submitted at once, then Promise.all; a fresh pool per round, ${t.rounds} rounds`)
  const rates = new Map<string, number>()
  for (const [name, line] of Object.entries(r.throughput)) rates.set(name, t.tasks / (median(line.ms) / 1000))
  const own = rates.get('poolkit')!
  printTable(
    ['line', 'tasks/s (median)', 'ms/batch', 'MAD', 'submit blocks', 'poolkit vs this'],
    Object.entries(r.throughput).map(([name, line]) => [
      name,
      fmtRate(rates.get(name)!),
      `${median(line.ms).toFixed(1)} ms`,
      `±${(relativeMad(line.ms) * 100).toFixed(1)}%`,
      `${median(line.submitMs).toFixed(1)} ms`,
      fmtRatio(own / rates.get(name)!),
    ]),
  )

  const l = settings.browser.latency
  console.log(`\n### W2. Round trip: one task at a time (each awaited before the next), ${l.samples.toLocaleString('en-US')} per line; every line open at once, taking turns in blocks of ${l.block}`)
  const latency = new Map<string, number>()
  for (const [name, samples] of Object.entries(r.latency)) latency.set(name, median(samples))
  printTable(
    ['line', 'median', 'p90', 'p99', 'samples', 'this / poolkit'],
    Object.entries(r.latency).map(([name, samples]) => [
      name,
      us(median(samples)),
      us(quantile(samples, 0.9)),
      us(quantile(samples, 0.99)),
      String(samples.length),
      fmtRatio(median(samples) / latency.get('poolkit')!),
    ]),
  )

  const c = settings.browser.cpu
  const mainMs = median(r.cpu.mainMs)
  console.log(
    `\n### W3. CPU-bound: ${c.tasks} tasks of a plain-JS SHA-256 of 1 MiB (${(mainMs / c.tasks).toFixed(1)} ms each on the main thread), submitted at once to pools warmed with ${c.warmupPerWorker} tasks per worker, vs the same one after another on the main thread, ${c.rounds} rounds`,
  )
  const speedup = new Map<string, number>()
  for (const [name, ms] of Object.entries(r.cpu.lines)) speedup.set(name, mainMs / median(ms))
  printTable(
    ['line', 'time (median)', 'MAD', 'speedup over main thread'],
    [
      ['main thread', `${mainMs.toFixed(0)} ms`, `±${(relativeMad(r.cpu.mainMs) * 100).toFixed(1)}%`, '1.00x'],
      ...Object.entries(r.cpu.lines).map(([name, ms]) => [name, `${median(ms).toFixed(0)} ms`, `±${(relativeMad(ms) * 100).toFixed(1)}%`, fmtRatio(speedup.get(name)!)]),
    ],
  )
  if (quick) console.log('(quick mode: small counts, not for reporting)')
  return { version, rates, latency, speedup }
}
