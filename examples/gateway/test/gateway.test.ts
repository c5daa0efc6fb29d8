// The short scenario (4 s of arrivals, real HTTP servers on 127.0.0.1) through both gateways, and main.ts in a
// plain node process. Only what must hold whatever the machine's speed is asserted: no figure is judged here.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { arrivals } from '../src/load.js'
import type { Report } from '../src/report.js'
import { runScenario, type GatewayName } from '../src/run.js'
import { PROVIDERS, scenario } from '../src/scenario.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const main = join(root, 'dist/main.js')
const short = scenario(1, true)

/** How late past its deadline a request may settle: timers fire late on a loaded machine. */
const MARGIN_MS = 1_500

describe.each<GatewayName>(['poolkit', 'peer'])('the short scenario through %s', (name) => {
  let report: Report
  beforeAll(async () => {
    report = await runScenario(name, short, true)
  }, 60_000)

  it('settles every request once, none later than its deadline plus a margin', () => {
    expect(report.requests).toBe(arrivals(short).length)
    const t = report.tenants
    expect(t.noisy.requests + t.quiet.requests).toBe(report.requests)
    expect(t.noisy.ok + t.noisy.deadlineMisses + t.noisy.failed).toBe(t.noisy.requests)
    expect(t.quiet.ok + t.quiet.deadlineMisses + t.quiet.failed).toBe(t.quiet.requests)
    expect(report.maxPastDeadlineMs).toBeLessThanOrEqual(MARGIN_MS)
  })

  it("agrees with the providers' own counts: what they received and answered is what the gateway sent and got", () => {
    for (const p of PROVIDERS) {
      const sent = report.calls[p]
      const got = report.providers[p]
      // A call aborted before it reached the server is sent but never received.
      expect(got.received, p).toBeLessThanOrEqual(sent.sent)
      expect(sent.sent - got.received, p).toBeLessThanOrEqual(sent.aborted + sent.errors)
      for (const status of [200, 429, 500, 503] as const) {
        const seen = sent.statuses[status] ?? 0
        // An answer written after the client gave up counts on the provider's side only.
        expect(got.answered[status], `${p} ${status}`).toBeGreaterThanOrEqual(seen)
        expect(got.answered[status], `${p} ${status}`).toBeLessThanOrEqual(seen + sent.aborted)
      }
      expect(got.byPhase.healthy + got.byPhase.failing + got.byPhase.hanging + got.byPhase.recovered, p).toBe(got.received)
    }
    // The flaky provider's calls during its outage were either answered 500 or hung until the client gave up.
    const flaky = report.providers.flaky
    expect(flaky.answered[500]).toBe(flaky.byPhase.failing)
    expect(flaky.answered.hung).toBe(flaky.byPhase.hanging)
    expect(report.wasted.onOutage).toBe(flaky.byPhase.failing + flaky.byPhase.hanging)
  })

  it("gives the quiet tenant successes during the noisy tenant's flood, and succeeds again after the recovery", () => {
    expect(report.quietOkDuringFlood).toBeGreaterThan(0)
    expect(report.tenants.quiet.ok).toBeGreaterThan(0)
    expect(report.recoveryToFirstSuccessMs).not.toBeNull()
  })
})

/** Compiles the example when dist/ is missing or older than a source file (`pnpm test` has built it already). */
function ensureBuilt(): void {
  const newest = (dir: string): number => Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)))
  if (existsSync(main) && statSync(main).mtimeMs >= newest(join(root, 'src'))) return
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc')
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' })
}

describe('node dist/main.js --short (a plain process, not the test runner)', () => {
  it('prints the report and exits 0 on its own soon after, with no timer or socket left', async () => {
    ensureBuilt()
    const child = spawn(process.execPath, [main, '--short', '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let printedAt = 0
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c
      printedAt = performance.now()
    })
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    const exitedAfterMs = performance.now() - printedAt
    expect(code, stderr).toBe(0)
    const report = JSON.parse(stdout) as Report
    expect(report.gateway).toMatch(/^poolkit/)
    expect(report.requests).toBe(arrivals(short).length)
    expect(report.pendingAfterClose).toEqual([])
    // Nothing kept the process alive once the report was out (no process.exit in main.ts).
    expect(exitedAfterMs).toBeLessThan(2_000)
  }, 60_000)
})
