// Smoke check of `pnpm bench --quick`: every fast suite runs, prints its section with numbers, and the run
// writes its results JSON and Markdown. It checks that figures exist, never how fast they are.
//
// Every suite runs here, in quick mode (about 60 s in all on 2 cores, most of it the threads suite's
// six pools and child processes); the browser suite needs Debian's Chromium, which .ci/run installs.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BenchResults } from '../src/results.js'
import { runQuick, type QuickRun } from './quick-run.js'

const root = fileURLToPath(new URL('..', import.meta.url))

/** Each suite of the smoke run and the heading its section starts with. */
const SUITES = [
  ['throughput', '## 1. Throughput'],
  ['priority', '## 2. Mixed priority'],
  ['memory', '## 3. Memory'],
  ['queues', '## 4. Queues'],
  ['scaling', '## Scaling'],
  ['metrics', '## 6. Metrics'],
  ['breaker', '## 7. Breaker'],
  ['threads', '## Threads:'],
  ['browser', '## 8. Browser'],
  ['resource', '## Resource pools'],
  ['bullmq', '## BullMQ:'],
  ['keys', '## Keys:'],
  ['routing', '## Routing:'],
] as const

/** The part of the output from `heading` to the next section. */
function section(stdout: string, heading: string): string {
  const start = stdout.indexOf(`\n${heading}`)
  if (start < 0) return ''
  const next = stdout.indexOf('\n## ', start + 1)
  return stdout.slice(start, next < 0 ? undefined : next)
}

describe('pnpm bench --quick', () => {
  let run: QuickRun
  let dir: string
  let results: BenchResults

  beforeAll(async () => {
    run = await runQuick(SUITES.map(([s]) => s))
    dir = run.resultsDir
    const json = readdirSync(dir).find((f) => f.endsWith('.json'))
    if (json !== undefined) results = JSON.parse(readFileSync(join(dir, json), 'utf8')) as BenchResults
  }, 240_000)

  afterAll(() => run?.remove())

  it('exits 0 and writes one results JSON and one Markdown report, named after the date, marked quick', () => {
    expect(run.code, run.stderr).toBe(0)
    const files = readdirSync(dir).sort()
    expect(files).toHaveLength(2)
    expect(files[0]).toMatch(/^\d{4}-\d{2}-\d{2}-quick\.json$/)
    expect(files[1]).toBe(files[0]!.replace('.json', '.md'))
    expect(results.quick).toBe(true)
    expect([...results.suites].sort()).toEqual(SUITES.map(([s]) => s).sort())
    expect(readFileSync(join(dir, files[1]!), 'utf8')).toContain('| line | kind |')
  })

  it.each(SUITES)('suite %s prints its section with numbers and has finite figures in the JSON', (suite, heading) => {
    const text = section(run.stdout, heading)
    expect(text, `no "${heading}" section in the output`).not.toBe('')
    expect(text).toMatch(/\d+(\.\d+)? ?(M\/s|k\/s|\/s|ms|ns|MB|x|%)/)
    if (suite === 'scaling') {
      const measured = results.scaling!.rows.filter((r) => r.measured)
      expect(measured.length).toBeGreaterThan(0)
      for (const r of measured) for (const v of [r.poolkitMs!, r.speedup!, r.efficiency!]) expect(v).toSatisfy((x: number) => Number.isFinite(x) && x > 0)
      return
    }
    const tables = results.tables.filter((t) => t.suite === suite)
    expect(tables.length).toBeGreaterThan(0)
    for (const t of tables) {
      expect(t.lines.length, t.id).toBeGreaterThan(0)
      for (const l of t.lines) expect(l.value, `${t.id} ${l.name}`).toSatisfy((x: number) => Number.isFinite(x) && x > 0)
    }
  })

  it('draws the chart from the JSON, and a quick run leaves docs/bench.svg alone', async () => {
    const { renderChart } = (await import(pathToFileURL(join(root, 'dist/chart.js')).href)) as typeof import('../src/chart.js')
    const svg = renderChart(results)
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
    expect(svg).toContain('QUICK MODE')
    expect(svg).toContain('>poolkit<')
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true)
    expect(run.stdout).not.toMatch(/^chart:/m)
  })
})
