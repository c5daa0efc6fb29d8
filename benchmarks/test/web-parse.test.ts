// Smoke check of `pnpm bench web-parse --quick`: the web-parse suite drives examples/web-parse in headless
// Chromium (Debian's /usr/bin/chromium, as the browser tests), checks every line's counts against the parse
// in Node (it throws if they differ) and prints a median and the ratios. It checks that the figures exist,
// never how fast they are. Not in smoke.test.ts's list: this suite prints its own section, no results table.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runQuick, type QuickRun } from './quick-run.js'

describe('pnpm bench web-parse --quick', () => {
  let run: QuickRun

  beforeAll(async () => {
    run = await runQuick(['web-parse'])
  }, 120_000)

  afterAll(() => run?.remove())

  it('exits 0, prints a median for every line, the ratios, and counts equal to the parse in Node', () => {
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^## web-parse: [\d,]+ files, [\d.]+ MB of .+ parsed with web-tree-sitter in headless Chromium/m)
    for (const line of ['pool of 2 workers', 'pool of 2, prefetchMs 50', 'one worker (pool of 1)', 'main thread', '2 independent workers (limit)']) {
      expect(run.stdout).toMatch(new RegExp(`^${line.replace(/[()]/g, '\\$&')} +[\\d.]+ s `, 'm'))
    }
    expect(run.stdout).toMatch(/^web-parse {3}pool of 2 \/ one worker [\d.]+x, \/ main thread [\d.]+x; the limit \(2 independent \/ main thread\) [\d.]+x; pool \/ limit [\d.]+x/m)
    expect(run.stdout).toMatch(/^web-parse {3}counts equal to Node's on every line and round: javascript \d+ files/m)
  })
})
