// Runs one scenario through one gateway: starts the providers, sends every request at its arrival time
// (open loop) with its deadline as an AbortSignal, waits until every request settled, closes everything.
import { caller, DeadlineError, type GatewayFactory } from './call.js'
import { arrivals, type Request } from './load.js'
import { peerGateway } from './peer-gateway.js'
import { poolkitGateway } from './poolkit-gateway.js'
import { startProviders } from './providers.js'
import { buildReport, type Report, type Settled } from './report.js'
import type { Scenario } from './scenario.js'

/** The gateways main.ts and the bench can run, by name. */
export const GATEWAYS = {
  poolkit: (s: Scenario) => poolkitGateway(s),
  'poolkit-reject': (s: Scenario) => poolkitGateway(s, { whenOpen: 'reject' }),
  'poolkit-fail-fast': (s: Scenario) => poolkitGateway(s, { whenOpen: 'reject', retryCircuitOpen: false }),
  'poolkit-handler-timeout': (s: Scenario) => poolkitGateway(s, { attemptTimeout: 'handler' }),
  'poolkit-burst-1': (s: Scenario) => poolkitGateway(s, { burst: 1 }),
  'poolkit-no-cut': (s: Scenario) => poolkitGateway(s, { cutAtDeadline: false }),
  'poolkit-no-min-left': (s: Scenario) => poolkitGateway(s, { minTimeLeft: false }),
  peer: (s: Scenario) => peerGateway(s, 'p-queue'),
  'peer-bottleneck': (s: Scenario) => peerGateway(s, 'bottleneck'),
  'peer-window': (s: Scenario) => peerGateway(s, 'p-queue-window'),
  'peer-strict': (s: Scenario) => peerGateway(s, 'p-queue-strict'),
} satisfies Record<string, (s: Scenario) => GatewayFactory>
export type GatewayName = keyof typeof GATEWAYS

/** Runs `s` through the gateway `name`; resolves to its report once every request settled and everything closed. */
export async function runScenario(name: GatewayName, s: Scenario, short: boolean): Promise<Report> {
  const providers = await startProviders(s)
  const { call, counts } = caller(providers.urls)
  const gateway = GATEWAYS[name](s)(providers.urls, call)
  const requests = arrivals(s)
  const settled: Settled[] = []
  let maxSendLagMs = 0

  const send = (request: Request): Promise<void> => {
    const now = providers.now()
    maxSendLagMs = Math.max(maxSendLagMs, now - request.at)
    const controller = new AbortController()
    const left = Math.max(0, request.deadline - now)
    const timer = setTimeout(() => controller.abort(new DeadlineError()), left)
    const done = (outcome: Settled['outcome'], error?: string, message?: string): void => {
      clearTimeout(timer)
      const at = providers.now()
      settled.push({
        tenant: request.tenant,
        provider: request.provider,
        at: request.at,
        deadline: request.deadline,
        settledAt: at,
        outcome,
        ...(error === undefined ? {} : { error }),
        ...(message === undefined ? {} : { message }),
      })
    }
    return gateway.send(request, controller.signal, left).then(
      () => done(providers.now() <= request.deadline ? 'ok' : 'deadline'),
      (error: unknown) => {
        const e = error as { name?: string; status?: number; message?: string }
        // poolkit's own deadline (DeadlineExceededError) is the request's, read on the pool's clock.
        if (controller.signal.aborted || providers.now() >= request.deadline || e.name === 'DeadlineExceededError') return done('deadline')
        done('failed', e.status === undefined ? (e.name ?? 'Error') : `${e.name} ${e.status}`, e.message ?? String(error))
      },
    )
  }

  providers.begin()
  const all: Promise<void>[] = []
  await new Promise<void>((resolve) => {
    let next = 0
    // One timer for the next arrival; every request due by then is sent at once.
    const tick = (): void => {
      const now = providers.now()
      while (next < requests.length && requests[next]!.at <= now) all.push(send(requests[next++]!))
      if (next === requests.length) return resolve()
      setTimeout(tick, Math.max(0, requests[next]!.at - providers.now()))
    }
    tick()
  })
  await Promise.all(all)
  await gateway.close()
  await providers.close()
  return buildReport({ gateway: gateway.name, seed: s.seed, short, durationMs: s.durationMs, recoverAt: providers.recoverAt, settled, maxSendLagMs, providers: providers.counts, calls: counts })
}
