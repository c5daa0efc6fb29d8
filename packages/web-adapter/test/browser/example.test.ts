// The web-hash example (examples/web-hash), served by its own serve.mjs and driven in headless Chromium.
import { createHash } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serve } from '../../../../examples/web-hash/serve.mjs'

const CHROMIUM = '/usr/bin/chromium'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url))
const FILES = 20
const MIN_BYTES = 64 * 1024
const MAX_BYTES = 2 * 1024 * 1024

/** mulberry32: a seeded generator, so every run hashes the same files. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

/** FILES files of MIN_BYTES to MAX_BYTES (the first and last exactly at the bounds), seeded bytes. */
function makeFiles(): { name: string; mimeType: string; buffer: Buffer }[] {
  const next = random(8)
  return Array.from({ length: FILES }, (_, i) => {
    const size = i === 0 ? MIN_BYTES : i === FILES - 1 ? MAX_BYTES : MIN_BYTES + Math.floor(next() * (MAX_BYTES - MIN_BYTES))
    const buffer = Buffer.alloc(size)
    for (let at = 0; at < size; at += 4) buffer.writeUInt32LE((next() * 2 ** 32) >>> 0, Math.min(at, size - 4))
    return { name: `file-${String(i + 1).padStart(2, '0')}.bin`, mimeType: 'application/octet-stream', buffer }
  })
}

describe('examples/web-hash in headless Chromium', () => {
  let browser: Browser
  let server: Awaited<ReturnType<typeof serve>>

  beforeAll(async () => {
    server = await serve({ port: 0 })
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
  }, 30_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it('hashes 20 chosen files in Web Workers, fills the progress bar and shows node:crypto’s SHA-256 for each', async () => {
    const files = makeFiles()
    const expected = new Map(files.map((f) => [f.name, createHash('sha256').update(f.buffer).digest('hex')]))
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } })
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text())
    })
    page.on('response', (response) => {
      if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`)
    })

    await page.goto(server.url)
    await page.setInputFiles('#files', files)
    // The bar's value counts files done; the status turns 'done' once every file has settled.
    await page.waitForFunction(
      (total) => {
        const bar = document.querySelector<HTMLProgressElement>('#progress')
        const status = document.querySelector<HTMLElement>('#status')
        return bar !== null && bar.max === total && bar.value === total && status?.dataset.state !== 'running'
      },
      FILES,
      { timeout: 30_000, polling: 50 },
    )

    const state = await page.$eval('#status', (el) => ({ state: (el as HTMLElement).dataset.state, text: el.textContent }))
    expect(state.state).toBe('done')
    expect(state.text).toMatch(new RegExp(`^${FILES} / ${FILES} files, [\\d.]+ MB, [\\d.]+ MB/s$`))
    const rows = await page.$$eval('#results tr', (trs) => trs.map((tr) => ({ name: (tr as HTMLElement).dataset.name, digest: tr.querySelector('.digest')?.textContent })))
    expect(rows).toHaveLength(FILES)
    expect(new Map(rows.map((r) => [r.name, r.digest]))).toEqual(expected)
    // The hashing ran in dedicated workers (not an in-process fallback): Chromium lists them for the page.
    expect(page.workers().map((w) => new URL(w.url()).pathname)).toContain('/hash.worker.js')
    expect(errors).toEqual([])

    mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: `${ARTIFACTS}web-hash.png`, fullPage: true })
    await page.close()
  }, 60_000)
})
