// The web-parse page (examples/web-parse), served by its own serve.mjs and driven in
// headless Chromium: its counts per language against the same parse in Node (count.mjs).
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { countFolder, listFolder, type LanguageId, type Totals } from '../count.mjs'
import { serve } from '../serve.mjs'

const CHROMIUM = '/usr/bin/chromium'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
const FIXTURE = fileURLToPath(new URL('fixtures/codebase', import.meta.url))
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url))
const LANGUAGES: readonly LanguageId[] = ['javascript', 'typescript', 'tsx', 'json', 'css']
const BUILDS = ['../../../packages/core/dist/index.js', '../../../packages/web-adapter/dist/index.js', '../../../packages/web-adapter/dist/worker.js']

/** What runJob returns (job.js). */
interface JobResult {
  mode: string
  ran: string
  workers: number
  ms: number
  files: number
  bytes: number
  totals: Totals
}

/** The per-language part of the totals (the job itself counts as skipped only binary files; the page adds the rest). */
const languagesOf = (totals: Totals): Record<string, unknown> => Object.fromEntries(LANGUAGES.map((language) => [language, totals[language]]))

describe('examples/web-parse in headless Chromium', () => {
  let browser: Browser
  let server: Awaited<ReturnType<typeof serve>>
  let expected: Totals

  beforeAll(async () => {
    const missing = BUILDS.filter((path) => !existsSync(fileURLToPath(new URL(path, import.meta.url))))
    if (missing.length > 0) throw new Error(`build the packages first (pnpm turbo run build --filter @poolkit/core --filter @poolkit/web-adapter); missing ${missing.join(', ')}`)
    expected = await countFolder(FIXTURE)
    server = await serve({ port: 0 })
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
  })

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  /** A page that records its errors, and failed requests, in `errors`. */
  async function open(errors: string[], init?: () => void, workers: string[] = []): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1100, height: 700 } })
    page.on('worker', (worker) => workers.push(new URL(worker.url()).pathname))
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text())
    })
    page.on('response', (response) => {
      if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`)
    })
    if (init !== undefined) await page.addInitScript(init)
    await page.goto(server.url)
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 })
    return page
  }

  /** Chooses the fixture folder in the page's `<input webkitdirectory>` and waits until the parse is done. */
  async function chooseFixture(page: Page): Promise<JobResult> {
    await page.setInputFiles('#folder', FIXTURE)
    await page.waitForFunction(
      () => document.querySelector<HTMLElement>('#status')?.dataset.state !== 'running' && document.querySelector<HTMLElement>('#status')?.dataset.state !== 'idle',
      undefined,
      {
        timeout: 30_000,
        polling: 50,
      },
    )
    expect(await page.$eval('#status', (el) => (el as HTMLElement).dataset.state)).toBe('done')
    return page.evaluate(() => (window as unknown as { webParse: { lastResult: JobResult } }).webParse.lastResult)
  }

  it('the fixture has every language, a file with syntax errors and files it does not parse', () => {
    expect(listFolder(FIXTURE).length).toBeGreaterThan(10)
    for (const language of LANGUAGES) expect(expected[language].files).toBeGreaterThan(0)
    expect(expected.javascript.errorFiles).toBe(1)
    expect(expected.javascript.errors).toBeGreaterThan(0)
    // license and readme files, and a `.ts` that is binary.
    expect(expected.skipped.files).toBe(5)
  })

  it('parses a chosen folder on a pool of Web Workers, fills the bar and shows the same counts per language as the parse in Node', async () => {
    const errors: string[] = []
    const workers: string[] = []
    const page = await open(errors, undefined, workers)
    const result = await chooseFixture(page)
    expect(result.ran).toBe('pool')
    expect(result.totals).toEqual(expected)
    // The table shows them: one row per language with files, then the files not parsed.
    const rows = await page.$$eval('#languages tr', (trs) =>
      trs.map((tr) => ({
        language: (tr as HTMLElement).dataset.language,
        cells: Object.fromEntries([...tr.querySelectorAll<HTMLElement>('td[data-field]')].map((td) => [td.dataset.field, td.textContent])),
      })),
    )
    const shown = LANGUAGES.filter((language) => expected[language].files > 0)
    expect(rows.map((r) => r.language)).toEqual([...shown, 'skipped'])
    for (const language of shown) {
      const t = expected[language]
      const cells = rows.find((r) => r.language === language)!.cells
      expect(cells).toMatchObject({ files: String(t.files), nodes: t.nodes.toLocaleString('en-US'), declarations: String(t.declarations), errorFiles: String(t.errorFiles), errors: String(t.errors) })
    }
    expect(await page.$eval('#progress', (el) => [(el as HTMLProgressElement).value, (el as HTMLProgressElement).max])).toEqual([result.bytes, result.bytes])
    // The files were parsed in dedicated workers, not on the page: Chromium reported them (the pool has closed them since).
    expect(workers).toContain('/parse.worker.js')
    expect(errors).toEqual([])
    mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: `${ARTIFACTS}web-parse.png`, fullPage: true })
    await page.close()
  })

  it('counts the same on one worker, on the main thread and on independent workers (the benchmark’s lines)', async () => {
    const errors: string[] = []
    const page = await open(errors)
    await page.setInputFiles('#folder', FIXTURE)
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#status')?.dataset.state === 'done', undefined, { timeout: 30_000, polling: 50 })
    const preloaded = await page.evaluate(() => (window as unknown as { webParse: { preload(): Promise<{ files: number }> } }).webParse.preload())
    expect(preloaded.files).toBe(LANGUAGES.reduce((sum, language) => sum + expected[language].files, 0) + 1) // + the binary .ts
    for (const [mode, workers] of [
      ['pool', 2],
      ['one-worker', 1],
      ['main', 1],
      ['independent', 2],
    ] as const) {
      const result = await page.evaluate(([m, n]) => (window as unknown as { webParse: { measure(mode: string, workers: number): Promise<JobResult> } }).webParse.measure(m, n), [
        mode,
        workers,
      ] as const)
      expect({ mode, ran: result.ran, languages: languagesOf(result.totals), binary: result.totals.skipped.files }).toEqual({ mode, ran: mode, languages: languagesOf(expected), binary: 1 })
    }
    expect(errors).toEqual([])
    await page.close()
  })

  it('parses a folder chosen with the File System Access API’s directory picker, with the same counts', async () => {
    // Headless Chromium cannot click through the picker's dialog: the page gets a showDirectoryPicker that
    // returns handles over the fixture's files, shaped as the API's (kind, name, values(), getFile()).
    const files = listFolder(FIXTURE).map((f) => ({ path: relative(FIXTURE, f.path).split(/[\\/]/), base64: readFileSync(f.path).toString('base64') }))
    const errors: string[] = []
    const page = await browser.newPage()
    page.on('pageerror', (error) => errors.push(error.message))
    await page.addInitScript((listed: { path: string[]; base64: string }[]) => {
      type Entry = { kind: 'file'; name: string; getFile(): Promise<File> } | Directory
      type Directory = { kind: 'directory'; name: string; children: Map<string, Entry>; values(): AsyncGenerator<Entry> }
      const directory = (name: string): Directory => {
        const children = new Map<string, Entry>()
        return {
          kind: 'directory',
          name,
          children,
          async *values() {
            yield* children.values()
          },
        }
      }
      const root = directory('codebase')
      for (const { path, base64 } of listed) {
        let dir = root
        for (const part of path.slice(0, -1)) {
          if (!dir.children.has(part)) dir.children.set(part, directory(part))
          dir = dir.children.get(part) as Directory
        }
        const name = path[path.length - 1]!
        const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
        dir.children.set(name, { kind: 'file', name, getFile: async () => new File([bytes], name) })
      }
      ;(window as unknown as { showDirectoryPicker: () => Promise<Directory> }).showDirectoryPicker = async () => root
    }, files)
    await page.goto(server.url)
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 })
    await page.click('#pick')
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#status')?.dataset.state === 'done', undefined, { timeout: 30_000, polling: 50 })
    const result = await page.evaluate(() => (window as unknown as { webParse: { lastResult: JobResult } }).webParse.lastResult)
    expect(result.ran).toBe('pool')
    expect(result.totals).toEqual(expected)
    expect(errors).toEqual([])
    await page.close()
  })

  it('falls back to the main thread when the pool cannot start its workers, with the same counts', async () => {
    const errors: string[] = []
    const page = await open(errors)
    // The worker file is not there: every start fails, and after maxStartFailures the pool gives up with WorkerStartError.
    await page.route('**/parse.worker.js', (route) => route.fulfill({ status: 404, body: '' }))
    const result = await chooseFixture(page)
    expect(result.ran).toBe('main')
    expect(result.totals).toEqual(expected)
    expect(errors.filter((e) => !e.includes('parse.worker.js'))).toEqual([])
    await page.close()
  })

  it('falls back to the main thread where the page has no Web Workers, with the same counts', async () => {
    const errors: string[] = []
    const workers: string[] = []
    const page = await open(
      errors,
      () => {
        delete (globalThis as { Worker?: unknown }).Worker
      },
      workers,
    )
    const result = await chooseFixture(page)
    expect(result.ran).toBe('main')
    expect(result.totals).toEqual(expected)
    expect(workers).toEqual([])
    expect(errors).toEqual([])
    await page.close()
  })
})
