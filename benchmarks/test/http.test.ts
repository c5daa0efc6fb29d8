// Smoke check of `pnpm bench http --quick`: the http suite starts examples/http-offload's server for each
// line (poolkit, piscina, inline), drives it with autocannon and prints its tables and targets. It checks
// that the figures exist, that poolkit's server refused with 503 + Retry-After under overload and that every
// server exited 0 on SIGTERM; never how fast they are. Not in smoke.test.ts's list: it prints its own section.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runQuick, type QuickRun } from './quick-run.js'

describe('pnpm bench http --quick', () => {
  let run: QuickRun

  beforeAll(async () => {
    run = await runQuick(['http'])
  }, 120_000)

  afterAll(() => run?.remove())

  it('exits 0 and prints requests/s, p99 and /health p99 for every line, and the overload table', () => {
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^## HTTP: CPU work behind a node:http server/m)
    expect(run.stdout).toMatch(/^### H@8\. POST \/render at 8 connections/m)
    for (const line of ['poolkit threads() (prefetch 0)', 'poolkit threads() (default prefetch)', 'piscina (as @fastify/piscina)', 'inline (on the event loop)']) {
      expect(run.stdout).toMatch(new RegExp(`^${line.replace(/[()]/g, '\\$&')} +\\d+ +[\\d.]+ ms +[\\d.]+ ms +[\\d.]+ ms `, 'm'))
    }
    expect(run.stdout).toMatch(/^### H-overload\./m)
  })

  it("reports poolkit's overload answered in part with 503 + Retry-After, and every server exiting 0 on SIGTERM", () => {
    const section = run.stdout.slice(run.stdout.indexOf('### H-overload.'))
    const overload = section.match(/^poolkit threads\(\) \(prefetch 0\) +\d+ +[\d.]+ ms +[\d.]+ ms +[\d.]+ ms +([\d.]+)% +([\d, -]+?) +(\d+) /m)
    expect(overload, section).not.toBeNull()
    expect(Number(overload![1])).toBeGreaterThan(0)
    expect(Number(overload![3])).toBeLessThanOrEqual(32)
    expect(run.stdout).toMatch(
      /exit codes on SIGTERM: poolkit threads\(\) \(prefetch 0\) 0, poolkit threads\(\) \(default prefetch\) 0, piscina \(as @fastify\/piscina\) 0, inline \(on the event loop\) 0\)/,
    )
  })
})
