// The load: two tenants with open-loop Poisson arrivals drawn from the seed (each request is sent at its
// time whether or not earlier ones were answered), `noisy` at ten times `quiet`'s rate, and one deadline
// per request. Which provider a request goes to: each tenant's requests take the providers in turn
// (its 1st request steady, 2nd paced, 3rd flaky, 4th steady...), as an application that spreads its
// calls evenly over three models would; so every provider gets a third of each tenant's load.
import { PROVIDERS, random, TENANTS, type ProviderName, type Scenario, type Tenant } from './scenario.js'

/** One request of the workload. */
export interface Request {
  readonly id: number
  readonly tenant: Tenant
  readonly provider: ProviderName
  /** When it arrives, in ms from the start. */
  readonly at: number
  /** When its caller stops waiting for it, in ms from the start (`at + deadlineMs`). */
  readonly deadline: number
}

/** Every request of the scenario, in arrival order. */
export function arrivals(s: Scenario): Request[] {
  const all: Omit<Request, 'id'>[] = []
  for (const [t, tenant] of TENANTS.entries()) {
    const r = random(s.seed * 7919 + t + 1)
    const meanGap = 1000 / s.rates[tenant]
    let n = 0
    // Exponential gaps: a Poisson process at the tenant's rate.
    for (let at = -Math.log(1 - r()) * meanGap; at < s.durationMs; at += -Math.log(1 - r()) * meanGap) {
      all.push({ tenant, provider: PROVIDERS[n++ % PROVIDERS.length]!, at, deadline: at + s.deadlineMs })
    }
  }
  return all.sort((a, b) => a.at - b.at).map((req, id) => ({ id, ...req }))
}
