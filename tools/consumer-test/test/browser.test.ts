// A page with a Web Worker pool, built by the bundlers users pick, served on
// 127.0.0.1 and run in headless Chromium. Each fixture holds its page, its
// worker and, in its package.json, the build command of the README's recipe.
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, explainPage, runPage } from './support/chromium.js'
import { copyFixture } from './support/context.js'
import { exec, explain } from './support/exec.js'
import { serveStatic } from './support/static-server.js'

const BUILD_DEADLINE_MS = 90_000
const PAGE_DEADLINE_MS = 30_000

const words = ['alpha', 'beta', 'gamma', 'delta']
const expected = {
  digests: words.map((word) => createHash('sha256').update(word).digest('hex')),
  upper: words.map((word) => word.toUpperCase()),
}

let browser: Browser | undefined

beforeAll(async () => {
  browser = await launchChromium()
}, 60_000)

afterAll(async () => {
  await browser?.close()
})

/** Copies the fixture into the web project, runs its `build` script, serves `served` (relative to it) and runs `page` in Chromium. */
async function buildAndRun(fixture: string, served: string, page: string): Promise<void> {
  const dir = await copyFixture('web', fixture, fixture)
  const build = await exec('npm', ['run', 'build', '--silent'], { cwd: dir, timeoutMs: BUILD_DEADLINE_MS })
  expect(build.code, `the build failed: ${explain(build)}`).toBe(0)
  const server = await serveStatic(join(dir, served))
  try {
    if (browser === undefined) throw new Error('Chromium did not start')
    const run = await runPage(browser, `${server.origin}/${page}`, PAGE_DEADLINE_MS)
    const report = explainPage(run)
    expect(run.state, report).toBe('done')
    expect(JSON.parse(run.text), report).toEqual(expected)
    expect(run.pageErrors, report).toEqual([])
    expect(run.consoleErrors, report).toEqual([])
    expect(run.failedRequests, report).toEqual([])
  } finally {
    await server.close()
  }
}

describe('a page with a Web Worker pool in Chromium', () => {
  it('Vite, default config (`vite build`), worker made by a factory `() => new Worker(new URL(...), { type: "module" })`: hashes and uppercases on the pool', async () => {
    await buildAndRun('web-vite', 'dist', 'index.html')
  })

  it('esbuild, page and worker as two entry points (`--bundle --format=esm`), `webWorkers(new URL("./hash.worker.js", import.meta.url))`: hashes and uppercases on the pool', async () => {
    await buildAndRun('web-esbuild', '.', 'index.html')
  })
})
