// The figures of one run, computed from what the driver recorded per request and what the providers counted.
import type { CallCounts } from './call.js'
import type { ProviderCounts } from './providers.js'
import { PROVIDERS, type ProviderName, type Tenant } from './scenario.js'

/** How a request ended: a success within its deadline, its deadline passed first, or an error before it. */
export type Outcome = 'ok' | 'deadline' | 'failed'

/** What the driver recorded about one request (times in ms from the start). */
export interface Settled {
  readonly tenant: Tenant
  readonly provider: ProviderName
  readonly at: number
  readonly deadline: number
  readonly settledAt: number
  readonly outcome: Outcome
  /** The error's name for `failed` (`CircuitOpenError`, `ProviderError 500`...). */
  readonly error?: string
  /** Its message, for `failed`. */
  readonly message?: string
}

/** One tenant's figures. */
export interface TenantFigures {
  readonly requests: number
  readonly ok: number
  /** ok / requests. */
  readonly successRate: number
  /** Latency of the successful requests, arrival to answer (ms). */
  readonly p50: number
  readonly p99: number
  /** p99 of the successes from the providers that stay up (steady and paced): the noisy neighbour's effect alone, without the outage's. */
  readonly p99Healthy: number
  readonly deadlineMisses: number
  readonly failed: number
  /** The same by provider: requests, successes, p50 and p99 (ms). */
  readonly byProvider: Readonly<Record<ProviderName, { readonly requests: number; readonly ok: number; readonly p50: number; readonly p99: number }>>
}

/** The report of one run: plain data (JSON). */
export interface Report {
  readonly gateway: string
  readonly seed: number
  readonly short: boolean
  readonly durationMs: number
  readonly requests: number
  /** Successful answers within their deadline, per second of the arrival window. */
  readonly goodput: number
  /** Calls the providers received that were wasted: answered 429, or sent to the flaky provider while it failed or hung. */
  readonly wasted: { readonly on429: number; readonly onOutage: number; readonly total: number }
  /** Calls the steady provider refused as over its capacity (503). */
  readonly overCapacity: number
  readonly deadlineMisses: number
  readonly failed: number
  /** Failed requests by error. */
  readonly errors: Readonly<Record<string, number>>
  /** The first message of each error in `errors`, as the caller got it. */
  readonly messages: Readonly<Record<string, string>>
  readonly tenants: Readonly<Record<Tenant, TenantFigures>>
  /** From the flaky provider's recovery to the first success from it through the gateway (ms); null if none. */
  readonly recoveryToFirstSuccessMs: number | null
  /** The latest any request settled after its deadline (ms; negative: all before). */
  readonly maxPastDeadlineMs: number
  /** The latest a request was sent after its scheduled arrival (ms): the driver's own lag. */
  readonly maxSendLagMs: number
  /** Quiet-tenant successes while the noisy tenant had requests waiting past 500 ms (its flood). */
  readonly quietOkDuringFlood: number
  readonly providers: Readonly<Record<ProviderName, ProviderCounts>>
  readonly calls: Readonly<Record<ProviderName, CallCounts>>
  /** Ref'd handles left when the run ended (`process.getActiveResourcesInfo()`), filled in by main.ts. */
  pendingAfterClose?: readonly string[]
}

/** The value at quantile `q` (0..1) of `values` (nearest rank); NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN
  const s = [...values].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!
}

function tenantFigures(all: readonly Settled[]): TenantFigures {
  const ok = all.filter((r) => r.outcome === 'ok')
  const latencies = ok.map((r) => r.settledAt - r.at)
  return {
    requests: all.length,
    ok: ok.length,
    successRate: all.length === 0 ? 0 : ok.length / all.length,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    p99Healthy: quantile(
      ok.filter((r) => r.provider !== 'flaky').map((r) => r.settledAt - r.at),
      0.99,
    ),
    deadlineMisses: all.filter((r) => r.outcome === 'deadline').length,
    failed: all.filter((r) => r.outcome === 'failed').length,
    byProvider: Object.fromEntries(
      PROVIDERS.map((p) => {
        const mine = ok.filter((r) => r.provider === p).map((r) => r.settledAt - r.at)
        return [p, { requests: all.filter((r) => r.provider === p).length, ok: mine.length, p50: quantile(mine, 0.5), p99: quantile(mine, 0.99) }]
      }),
    ) as TenantFigures['byProvider'],
  }
}

/** The report of a run. */
export function buildReport(input: {
  gateway: string
  seed: number
  short: boolean
  durationMs: number
  recoverAt: number
  settled: readonly Settled[]
  maxSendLagMs: number
  providers: Record<ProviderName, ProviderCounts>
  calls: Record<ProviderName, CallCounts>
}): Report {
  const { settled, providers } = input
  const ok = settled.filter((r) => r.outcome === 'ok')
  const errors: Record<string, number> = {}
  const messages: Record<string, string> = {}
  for (const r of settled) {
    if (r.outcome !== 'failed') continue
    const name = r.error ?? '?'
    errors[name] = (errors[name] ?? 0) + 1
    messages[name] ??= r.message ?? ''
  }
  const on429 = providers.paced.answered[429] + providers.steady.answered[429] + providers.flaky.answered[429]
  const onOutage = providers.flaky.byPhase.failing + providers.flaky.byPhase.hanging
  const firstAfterRecovery = ok.filter((r) => r.provider === 'flaky' && r.settledAt >= input.recoverAt).reduce((m, r) => Math.min(m, r.settledAt), Infinity)
  // The noisy tenant's flood: the times when one of its requests had waited 500 ms or more without an answer.
  const noisy = settled.filter((r) => r.tenant === 'noisy')
  const flooded = (t: number): boolean => noisy.some((r) => r.at + 500 <= t && r.settledAt > t)
  return {
    gateway: input.gateway,
    seed: input.seed,
    short: input.short,
    durationMs: input.durationMs,
    requests: settled.length,
    goodput: ok.length / (input.durationMs / 1000),
    wasted: { on429, onOutage, total: on429 + onOutage },
    overCapacity: providers.steady.answered[503],
    deadlineMisses: settled.filter((r) => r.outcome === 'deadline').length,
    failed: settled.filter((r) => r.outcome === 'failed').length,
    errors,
    messages,
    tenants: { noisy: tenantFigures(noisy), quiet: tenantFigures(settled.filter((r) => r.tenant === 'quiet')) },
    recoveryToFirstSuccessMs: firstAfterRecovery === Infinity ? null : firstAfterRecovery - input.recoverAt,
    maxPastDeadlineMs: settled.reduce((m, r) => Math.max(m, r.settledAt - r.deadline), -Infinity),
    maxSendLagMs: input.maxSendLagMs,
    quietOkDuringFlood: ok.filter((r) => r.tenant === 'quiet' && flooded(r.settledAt)).length,
    providers,
    calls: input.calls,
  }
}

const ms = (v: number | null): string => (v === null || Number.isNaN(v) ? '-' : `${v.toFixed(0)} ms`)
const pct = (v: number): string => `${(v * 100).toFixed(1)}%`

/** The report as a few lines of text. */
export function formatReport(r: Report): string {
  const q = r.tenants.quiet
  const n = r.tenants.noisy
  const errors = Object.entries(r.errors)
    .map(([name, count]) => `${name} ${count}`)
    .join(', ')
  return [
    `gateway ${r.gateway}, seed ${r.seed}${r.short ? ' (short)' : ''}: ${r.requests} requests over ${(r.durationMs / 1000).toFixed(0)} s`,
    `goodput                  ${r.goodput.toFixed(1)} /s`,
    `wasted calls             ${r.wasted.total} (429: ${r.wasted.on429}, outage: ${r.wasted.onOutage}); steady's 503s: ${r.overCapacity}`,
    `quiet tenant             p50 ${ms(q.p50)}, p99 ${ms(q.p99)} (steady and paced alone: ${ms(q.p99Healthy)}), success ${pct(q.successRate)} (${q.ok}/${q.requests}), ${q.ok - r.quietOkDuringFlood} of them outside the noisy flood`,
    `  by provider            ${Object.entries(q.byProvider)
      .map(([p, f]) => `${p} ${f.ok}/${f.requests} p50 ${ms(f.p50)} p99 ${ms(f.p99)}`)
      .join('; ')}`,
    `noisy tenant             p50 ${ms(n.p50)}, p99 ${ms(n.p99)}, success ${pct(n.successRate)} (${n.ok}/${n.requests})`,
    `deadline misses          ${r.deadlineMisses} (quiet ${q.deadlineMisses}); failed before the deadline: ${r.failed}${errors === '' ? '' : ` (${errors})`}`,
    `recovery to 1st success  ${ms(r.recoveryToFirstSuccessMs)}`,
    ...Object.entries(r.messages).map(([name, message]) => `first ${name.padEnd(15)}  ${message}`),
    `provider calls           ${Object.entries(r.providers)
      .map(([p, c]) => `${p} ${c.received}`)
      .join(', ')}; latest settle past a deadline ${r.maxPastDeadlineMs.toFixed(0)} ms; send lag up to ${r.maxSendLagMs.toFixed(0)} ms`,
  ].join('\n')
}
