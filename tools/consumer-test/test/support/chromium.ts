// Debian's Chromium, headless, driven by playwright-core (never a downloaded
// browser), with the flags the web-adapter and metrics tests use.
import { chromium } from 'playwright-core'
import type { Browser } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS })
}

/** What a page showed and said: its `#result` once `data-state` is set, its errors and failed requests. */
export interface PageRun {
  /** `data-state` of `#result`: 'done', 'failed', or undefined when it never settled. */
  readonly state: string | undefined
  readonly text: string
  readonly pageErrors: readonly string[]
  readonly consoleErrors: readonly string[]
  readonly failedRequests: readonly string[]
}

/** Opens `url`, waits up to `timeoutMs` for `#result[data-state]`, and reports what happened. */
export async function runPage(browser: Browser, url: string, timeoutMs: number): Promise<PageRun> {
  const page = await browser.newPage()
  const pageErrors: string[] = []
  const consoleErrors: string[] = []
  const failedRequests: string[] = []
  page.on('pageerror', (error) => pageErrors.push(error.stack ?? error.message))
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`)
  })
  // Workers' own uncaught errors reach the page as `error` events on the Worker; playwright also reports worker console errors.
  page.on('worker', (worker) => worker.on('console', (message) => message.type() === 'error' && consoleErrors.push(`[worker ${worker.url()}] ${message.text()}`)))
  page.on('requestfailed', (request) => failedRequests.push(`${request.url()}: ${request.failure()?.errorText ?? 'failed'}`))
  page.on('response', (response) => response.status() >= 400 && failedRequests.push(`${response.url()}: HTTP ${response.status()}`))
  try {
    await page.goto(url)
    await page.waitForSelector('#result[data-state]', { timeout: timeoutMs }).catch(() => undefined)
    const result = page.locator('#result')
    const state = (await result.getAttribute('data-state')) ?? undefined
    return { state, text: (await result.textContent()) ?? '', pageErrors, consoleErrors, failedRequests }
  } finally {
    await page.close()
  }
}

/** A page run in words, for failure messages. */
export function explainPage(run: PageRun): string {
  const list = (items: readonly string[]): string => (items.length === 0 ? ' none' : items.map((item) => `\n    ${item}`).join(''))
  return `#result data-state=${run.state ?? '(never set)'}: ${run.text}\n  page errors:${list(run.pageErrors)}\n  console errors:${list(run.consoleErrors)}\n  failed requests:${list(run.failedRequests)}`
}
