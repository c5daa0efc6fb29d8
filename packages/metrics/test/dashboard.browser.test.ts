import { existsSync } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { createPool } from '@poolkit/core'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { serveMetrics, type MetricsServer } from '../src/http.js'
import { createMetrics } from '../src/index.js'
import type { MetricsSnapshot, PoolMetrics } from '../src/snapshot.js'

// Debian's chromium package; .ci/run installs it. Missing, the suite fails: a
// dashboard nobody has opened in a browser is not tested.
const CHROMIUM = '/usr/bin/chromium'
const SCREENSHOT = fileURLToPath(new URL('../test-artifacts/dashboard.png', import.meta.url))
/** Virtual time between snapshots, so a few dozen of them span the charts' two minutes. */
const STEP_MS = 4000

interface DashboardApi {
  samples: number
  connected: boolean
  pools: string[]
  selected: string | null
  state: string | null
  last: Record<string, number> | null
  points: Record<string, number>
  histories: number
}
declare global {
  interface Window {
    __poolkitDashboard?: DashboardApi
  }
}

const summary = (p50: number, p95: number, p99: number) => ({ count: 1, sum: p50, min: p50, max: p99, mean: p50, p50, p90: p95, p95, p99, p999: p99 })

/**
 * A pool whose tasks "run" as `step` advances: load rises and falls in waves,
 * and with it the queue, the busy workers and the latencies. At step 0 and
 * with `idle` it is a pool with nothing to do.
 */
function simulatedPool(pool: string, step: number, idle: boolean): PoolMetrics {
  const wave = idle ? 0 : 0.5 + 0.5 * Math.sin(step / 4)
  const throughput = idle ? 0 : Math.round(20 + 60 * wave)
  const busy = idle ? 0 : Math.min(8, Math.round(2 + 6 * wave))
  const queueDepth = idle ? 0 : Math.max(0, Math.round(30 * wave - 8))
  const run = idle ? summary(0, 0, 0) : summary(8 + 4 * wave, 20 + 15 * wave, 35 + 40 * wave)
  const wait = idle ? summary(0, 0, 0) : summary(1 + 10 * wave, 5 + 30 * wave, 10 + 60 * wave)
  const completed = idle ? 0 : 50 * step
  return {
    pool,
    state: 'open',
    tasks: {
      submitted: completed + queueDepth + busy,
      started: completed + busy,
      completed,
      failed: Math.floor(completed / 40),
      rejected: 0,
      rejectedBy: { queueFull: 0, dropped: 0, closed: 0, circuitOpen: 0, noWorkers: 0, unplaceable: 0 },
      cancelled: 0,
      timedOut: 0,
      retried: 0,
      deadLettered: 0,
    },
    workers: { total: 8, busy, idle: 8 - busy, starting: 0, started: 8, crashed: 0, restarts: 0, eventLoopUtilization: [] },
    queueDepth,
    running: busy,
    utilization: busy / 8,
    wait: { recent: wait, total: wait, buckets: [] },
    run: { recent: run, total: run, buckets: [] },
    throughput: { '1s': throughput, '10s': throughput, '60s': throughput },
    errorRate: { '1s': idle ? 0 : 0.025, '10s': idle ? 0 : 0.025, '60s': idle ? 0 : 0.025 },
    keys: [],
    untrackedKeyTasks: 0,
  }
}

/** A source the test drives: idle until `running` is set, then each snapshot is one step of work. */
function simulatedSource() {
  const source = {
    running: false,
    step: 0,
    pools: ['api-calls'],
    snapshot(): MetricsSnapshot {
      if (source.running) source.step++
      return { time: 1_700_000_000_000 + source.step * STEP_MS, pools: source.pools.map((p, i) => simulatedPool(p, source.step + i * 3, !source.running)) }
    },
    toPrometheus: () => '',
  }
  return source
}

/**
 * Waits until `check` holds in the page (Playwright polls it there). It must be
 * self-contained: it is sent as source. A function, not a string, because the
 * page's CSP forbids eval, which string predicates need.
 */
async function waitForDashboard(page: Page, check: () => boolean): Promise<void> {
  await page.waitForFunction(check, undefined, { timeout: 15_000 })
}
const dashboard = (page: Page): Promise<DashboardApi> => page.evaluate(() => window.__poolkitDashboard!)

/** Pixels of the canvas close to the given colour. */
function countColour(page: Page, id: string, [r, g, b]: readonly [number, number, number]): Promise<number> {
  return page.evaluate(
    ({ id, r, g, b }) => {
      const canvas = document.getElementById(id) as HTMLCanvasElement
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data
      let n = 0
      for (let i = 0; i < data.length; i += 4) {
        if (Math.abs(data[i]! - r) < 40 && Math.abs(data[i + 1]! - g) < 40 && Math.abs(data[i + 2]! - b) < 40 && data[i + 3]! > 128) n++
      }
      return n
    },
    { id, r, g, b },
  )
}

describe('dashboard in headless Chromium', { timeout: 60_000 }, () => {
  let browser: Browser
  let page: Page
  let server: MetricsServer
  let source: ReturnType<typeof simulatedSource>
  let problems: string[]

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y --no-install-recommends chromium), as .ci/run does`)
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    })
  })
  afterAll(async () => {
    await browser?.close()
  })

  beforeEach(async () => {
    source = simulatedSource()
    server = await serveMetrics({ metrics: source, port: 0, intervalMs: 100 })
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    problems = []
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`)
    })
    page.on('request', (req) => {
      // Only the servers these tests start: no CDN, font or analytics request.
      const url = new URL(req.url())
      if (url.protocol !== 'data:' && url.host !== new URL(server.url).host && url.hostname !== '127.0.0.1') problems.push(`request elsewhere: ${req.url()}`)
    })
  })
  afterEach(async () => {
    await page?.close()
    await server?.close()
  })

  test('the page loads, connects to /events and shows the pool and its state, with no error, CSP violation or outside request', async () => {
    const response = await page.goto(`${server.url}/`)
    expect(response?.status()).toBe(200)
    expect(await page.title()).toBe('poolkit metrics')
    await waitForDashboard(page, () => !!window.__poolkitDashboard?.connected && window.__poolkitDashboard.samples >= 2)
    const d = await dashboard(page)
    expect(d.pools).toEqual(['api-calls'])
    expect(d.selected).toBe('api-calls')
    expect(await page.textContent('#state')).toBe('open')
    expect(await page.textContent('#connection')).toBe('live')
    expect(await page.isVisible('#chart-throughput')).toBe(true)
    expect(await page.isHidden('#empty')).toBe(true)
    expect(problems).toEqual([])
  })

  test('the charts update when tasks run, and a screenshot is saved', async () => {
    await page.goto(`${server.url}/`)
    await waitForDashboard(page, () => (window.__poolkitDashboard?.samples ?? 0) >= 2)
    const idle = await dashboard(page)
    expect(idle.last).toMatchObject({ throughput: 0, queueDepth: 0, busy: 0, total: 8, runP99: 0 })
    const blue = [0x25, 0x63, 0xeb] as const // the throughput line
    const flatBlue = await countColour(page, 'chart-throughput', blue)

    source.running = true
    // About two minutes of virtual time, enough for a wave of load to cross the charts.
    await waitForDashboard(page, () => (window.__poolkitDashboard?.last?.throughput ?? 0) > 0 && (window.__poolkitDashboard?.points.throughput ?? 0) >= 30)
    const busy = await dashboard(page)
    expect(busy.points.throughput).toBeGreaterThan(idle.points.throughput!)
    expect(busy.last!.throughput).toBeGreaterThan(0)
    expect(busy.last!.total).toBe(8)
    expect(busy.last!.runP99).toBeGreaterThan(busy.last!.runP50!)
    for (const id of ['throughput', 'queue', 'workers', 'latency']) {
      const points = Number(await page.getAttribute(`#chart-${id}`, 'data-points'))
      expect(points, id).toBeGreaterThanOrEqual(30)
      const last = JSON.parse((await page.getAttribute(`#chart-${id}`, 'data-last'))!) as Record<string, number>
      expect(
        Object.values(last).some((v) => v > 0),
        `${id} shows a non-zero value`,
      ).toBe(true)
    }
    // The throughput line left the baseline: more of its colour is drawn than when flat.
    expect(await countColour(page, 'chart-throughput', blue)).toBeGreaterThan(flatBlue * 2)
    expect(Number((await page.textContent('#c-completed'))!.replace(/\D/g, ''))).toBeGreaterThan(0)
    expect(problems).toEqual([])

    await mkdir(fileURLToPath(new URL('../test-artifacts/', import.meta.url)), { recursive: true })
    await page.screenshot({ path: SCREENSHOT, fullPage: true })
    const png = await readFile(SCREENSHOT)
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG')
    expect(png.length).toBeGreaterThan(10_000)
  })

  test('the pool selector switches the charts to another pool', async () => {
    source.pools = ['api-calls', 'thumbnails']
    source.running = true
    await page.goto(`${server.url}/`)
    await waitForDashboard(page, () => window.__poolkitDashboard?.pools.length === 2 && window.__poolkitDashboard.samples >= 3)
    expect(await page.$$eval('#pool option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['api-calls', 'thumbnails'])
    await page.selectOption('#pool', 'thumbnails')
    await waitForDashboard(page, () => window.__poolkitDashboard?.selected === 'thumbnails')
    expect(await page.$$eval('#pools tr', (rows) => rows.map((r) => r.firstElementChild!.textContent))).toEqual(['api-calls', 'thumbnails'])
    expect(Number(await page.getAttribute('#chart-throughput', 'data-points'))).toBeGreaterThan(0)
  })

  test('pools named like Object.prototype members or with quotes, line feeds and markup each get a row, a history and their charts, with no error', async () => {
    const hostile = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'a "quoted"\nname <script>window.__pwned = 1</script>\\', 'api-calls']
    source.pools = hostile
    source.running = true
    await page.goto(`${server.url}/`)
    await waitForDashboard(page, () => (window.__poolkitDashboard?.samples ?? 0) >= 3)
    expect(await page.$$eval('#pools tr', (rows) => rows.map((r) => r.firstElementChild!.textContent))).toEqual(hostile)
    expect(problems).toEqual([])
    const d = await dashboard(page)
    expect(d.pools).toEqual(hostile)
    expect(d.histories).toBe(hostile.length)
    expect(await page.$$eval('#pool option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(hostile)
    for (const name of hostile) {
      await page.selectOption('#pool', name)
      await page.waitForFunction((n) => window.__poolkitDashboard?.selected === n && (window.__poolkitDashboard.points.throughput ?? 0) > 0, name, { timeout: 15_000 })
      expect(await page.textContent('#state'), name).toBe('open')
      expect(Number(await page.getAttribute('#chart-throughput', 'data-points')), name).toBeGreaterThan(0)
    }
    // The markup in a name is text, never run.
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined()
    // Pools the metrics drop take their history with them.
    source.pools = ['api-calls']
    await waitForDashboard(page, () => window.__poolkitDashboard?.pools.length === 1 && window.__poolkitDashboard.histories === 1)
    expect(await page.$$eval('#pools tr', (rows) => rows.length)).toBe(1)
    expect(problems).toEqual([])
  })

  test('with a real pool, the charts show its busy workers, its queue and then its throughput', async () => {
    const metrics = createMetrics()
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const pool = createPool({ name: 'real', concurrency: 2, handler: async (n: number) => (await gate, n), observers: [metrics] })
    const real = await serveMetrics({ metrics, port: 0, intervalMs: 100 })
    try {
      await page.goto(`${real.url}/`)
      await waitForDashboard(page, () => window.__poolkitDashboard?.selected === 'real')
      const runs = Array.from({ length: 6 }, (_, i) => pool.run(i))
      await waitForDashboard(page, () => window.__poolkitDashboard?.last?.busy === 2 && window.__poolkitDashboard.last.queueDepth === 4)
      release()
      await Promise.all(runs)
      await waitForDashboard(page, () => (window.__poolkitDashboard?.last?.throughput ?? 0) > 0 && window.__poolkitDashboard?.last?.busy === 0)
      expect(await page.textContent('#c-completed')).toBe('6')
      expect(await page.textContent('#state')).toBe('open')
      await pool.close()
      await waitForDashboard(page, () => window.__poolkitDashboard?.state === 'closed')
      expect(problems).toEqual([])
    } finally {
      await pool.close()
      await page.close()
      await real.close()
    }
  })

  test('the page says when the stream is lost', async () => {
    await page.goto(`${server.url}/`)
    await waitForDashboard(page, () => !!window.__poolkitDashboard?.connected)
    await server.close()
    await waitForDashboard(page, () => window.__poolkitDashboard?.connected === false)
    expect(await page.textContent('#connection')).toMatch(/reconnecting|offline/)
    // The browser's own failed reconnects are expected here.
    problems = problems.filter((p) => !p.includes('ERR_CONNECTION_REFUSED'))
    expect(problems).toEqual([])
  })
})
