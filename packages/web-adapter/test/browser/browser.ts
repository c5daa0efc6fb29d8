import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { startServer } from './server.js'
import type { TestServer } from './server.js'

/** Debian's Chromium, launched headless; never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

const BUILDS = ['../../../core/dist/index.js', '../../../core/dist/testing/index.js', '../../dist/index.js', '../../dist/worker.js']

/** A headless Chromium and the static server its pages come from. */
export interface BrowserSession {
  readonly browser: Browser
  readonly server: TestServer
  /** Opens `/pages/<name>` and waits (with a deadline) until its module set `window.suite`. */
  open(name: string): Promise<Page>
  close(): Promise<void>
}

export async function startBrowser(): Promise<BrowserSession> {
  const missing = BUILDS.filter((path) => !existsSync(fileURLToPath(new URL(path, import.meta.url))))
  if (missing.length > 0) {
    throw new Error(`The browser tests load built packages; build them first (pnpm turbo run build --filter @poolkit/core --filter @poolkit/web-adapter). Missing: ${missing.join(', ')}`)
  }
  const server = await startServer()
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
  const pages: Page[] = []
  return {
    browser,
    server,
    async open(name) {
      const page = await browser.newPage()
      pages.push(page)
      const errors: string[] = []
      page.on('pageerror', (error) => errors.push(error.message))
      await page.goto(`${server.origin}/pages/${name}`)
      await page.waitForFunction('window.suite !== undefined', undefined, { timeout: 10_000 }).catch((error: Error) => {
        throw new Error(`${name} did not load: ${errors.join('; ') || error.message}`)
      })
      return page
    },
    async close() {
      await Promise.all(pages.map((page) => page.close()))
      await browser.close()
      await server.close()
    },
  }
}
