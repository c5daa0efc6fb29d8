// Smoke check of `pnpm bench demo --quick`: the demo suite parses the same files through poolkit, piscina
// and tinypool (it throws if their totals differ) and prints a median and a ratio for each. It checks
// that the figures exist, never how fast they are. Not in smoke.test.ts's list, which every quick
// suite's results table must be in; this suite prints its own section.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runQuick, type QuickRun } from './quick-run.js'

describe('pnpm bench demo --quick', () => {
  let run: QuickRun

  beforeAll(async () => {
    run = await runQuick(['demo'])
  }, 120_000)

  afterAll(() => run?.remove())

  it('exits 0 and prints a median for poolkit, piscina and tinypool, and poolkit over each', () => {
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^## Demo: the parse-codebase job on 2 workers \([\d,]+ files, [\d.]+ MB/m)
    for (const line of ['poolkit threads()', 'poolkit threads() prefetchMs 50', 'piscina', 'tinypool']) expect(run.stdout).toMatch(new RegExp(`^${line.replace(/[()]/g, '\\$&')} +[\\d.]+ s `, 'm'))
    expect(run.stdout).toMatch(/^demo {8}poolkit threads\(\) \/ piscina: [\d.]+x/m)
    expect(run.stdout).toMatch(/^demo {8}poolkit threads\(\) \/ tinypool: [\d.]+x/m)
  })
})
