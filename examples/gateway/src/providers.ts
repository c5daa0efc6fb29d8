// The three fake providers: real node:http servers on 127.0.0.1 (free ports), deterministic from the
// scenario's seed, each counting the calls it received so that waste is measured where it happens.
//
// - steady: healthy, at most `capacity` calls in flight. Past that it answers 503 at once (no queue of
//   its own, as an overloaded API does), so a gateway that sends more than the capacity wastes calls.
// - paced: a token bucket (`perSecond`, `burst`). Without a token it answers 429 with `Retry-After` in
//   whole seconds (the HTTP form: the wait to the next token rounded up, so 1 s), and no body work.
// - flaky: healthy until `failAt`, answers 500 at once until `hangAt`, then never answers (the socket
//   stays open until the client gives up) until `recoverAt`, then healthy again.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PROVIDERS, random, type ProviderName, type Scenario } from './scenario.js'

/** The flaky provider's phases, by the time a call arrives. */
export const PHASES = ['healthy', 'failing', 'hanging', 'recovered'] as const
export type Phase = (typeof PHASES)[number]

/** What one provider saw: calls received (by the flaky provider's phase at arrival) and how it answered them. */
export interface ProviderCounts {
  received: number
  byPhase: Record<Phase, number>
  /** Answers by status; `hung`: calls never answered (the client went away first). */
  answered: { 200: number; 429: number; 500: number; 503: number; hung: number }
  /** Calls the client abandoned before their answer was written (a deadline or an attempt timeout). */
  abandoned: number
}

/** The running providers. */
export interface Providers {
  readonly urls: Readonly<Record<ProviderName, string>>
  readonly counts: Readonly<Record<ProviderName, ProviderCounts>>
  /** Marks the scenario's start: the flaky provider's phases and the paced provider's bucket count from here. */
  begin(): void
  /** Ms since `begin()` (performance.now() based, the clock the gateways' reports use too). */
  now(): number
  /** When the flaky provider recovered, in `now()` ms. */
  readonly recoverAt: number
  close(): Promise<void>
}

const emptyCounts = (): ProviderCounts => ({
  received: 0,
  byPhase: { healthy: 0, failing: 0, hanging: 0, recovered: 0 },
  answered: { 200: 0, 429: 0, 500: 0, 503: 0, hung: 0 },
  abandoned: 0,
})

/** Starts the three providers on free ports of 127.0.0.1. */
export async function startProviders(s: Scenario): Promise<Providers> {
  let t0 = performance.now()
  const now = (): number => performance.now() - t0
  const counts = Object.fromEntries(PROVIDERS.map((p) => [p, emptyCounts()])) as Record<ProviderName, ProviderCounts>
  const timers = new Set<ReturnType<typeof setTimeout>>()
  const servers: Server[] = []

  const phase = (at: number): Phase => (at < s.flaky.failAt ? 'healthy' : at < s.flaky.hangAt ? 'failing' : at < s.flaky.recoverAt ? 'hanging' : 'recovered')
  const draw = (seed: number, [lo, hi]: readonly [number, number]): (() => number) => {
    const r = random(seed)
    return () => lo + r() * (hi - lo)
  }

  /** Answers after `ms` unless the client went away first (counted as abandoned). */
  const answerLater = (c: ProviderCounts, res: ServerResponse, ms: number, status: 200, done?: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer)
      done?.()
      if (res.destroyed || res.writableEnded) {
        c.abandoned++
        return
      }
      answer(c, res, status)
    }, ms)
    timers.add(timer)
  }
  const answer = (c: ProviderCounts, res: ServerResponse, status: 200 | 429 | 500 | 503, headers: Record<string, string> = {}): void => {
    c.answered[status]++
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(status === 200 ? '{"ok":true}' : `{"error":${status}}`)
  }

  const steadyService = draw(s.seed * 101 + 1, s.steady.serviceMs)
  let steadyInFlight = 0
  const pacedService = draw(s.seed * 101 + 2, s.paced.serviceMs)
  let tokens = s.paced.burst
  let refilledAt = 0
  const flakyService = draw(s.seed * 101 + 3, s.flaky.serviceMs)

  const handlers: Record<ProviderName, (req: IncomingMessage, res: ServerResponse) => void> = {
    steady(_req, res) {
      const c = counts.steady
      if (steadyInFlight >= s.steady.capacity) return answer(c, res, 503)
      steadyInFlight++
      // The work goes on after the client leaves: an abandoned call still holds its capacity.
      answerLater(c, res, steadyService(), 200, () => steadyInFlight--)
    },
    paced(_req, res) {
      const c = counts.paced
      const at = now()
      tokens = Math.min(s.paced.burst, tokens + ((at - refilledAt) * s.paced.perSecond) / 1000)
      refilledAt = at
      if (tokens < 1) {
        const waitMs = ((1 - tokens) * 1000) / s.paced.perSecond
        return answer(c, res, 429, { 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) })
      }
      tokens -= 1
      answerLater(c, res, pacedService(), 200)
    },
    flaky(_req, res) {
      const c = counts.flaky
      const p = phase(now())
      c.byPhase[p]++
      if (p === 'failing') return answer(c, res, 500)
      if (p === 'hanging') {
        res.on('close', () => c.answered.hung++)
        return
      }
      answerLater(c, res, flakyService(), 200)
    },
  }

  const urls = {} as Record<ProviderName, string>
  for (const name of PROVIDERS) {
    const server = createServer((req, res) => {
      const c = counts[name]
      c.received++
      if (name !== 'flaky') c.byPhase[phase(now())]++
      req.resume()
      handlers[name](req, res)
    })
    // Sockets a client keeps alive between calls must not hold close() up.
    server.keepAliveTimeout = 5_000
    servers.push(server)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    urls[name] = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/complete`
  }

  return {
    urls,
    counts,
    recoverAt: s.flaky.recoverAt,
    begin() {
      t0 = performance.now()
      refilledAt = 0
      tokens = s.paced.burst
    },
    now,
    async close() {
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve())
              server.closeAllConnections()
            }),
        ),
      )
    },
  }
}
