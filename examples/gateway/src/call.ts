// The HTTP call both gateways make, and the gateway-side counts of what it sent and got back.
import { PROVIDERS, type ProviderName } from './scenario.js'
import type { Request } from './load.js'

/** An HTTP failure the policies can read: `status` for breakers and retries, `headers` for the 429's `Retry-After`. */
export class ProviderError extends Error {
  override name = 'ProviderError'
  constructor(
    readonly status: number,
    readonly headers: Headers,
    message: string,
  ) {
    super(message)
  }
}

/** The reason a request's signal aborts with when its deadline passes. */
export class DeadlineError extends Error {
  override name = 'DeadlineError'
  constructor(cause?: unknown) {
    super('the request passed its deadline', { cause })
  }
}

/** The error of a call that took longer than its attempt timeout. */
export class AttemptTimeoutError extends Error {
  override name = 'AttemptTimeoutError'
  constructor(ms: number) {
    super(`the call took longer than ${ms} ms`)
  }
}

/**
 * Runs `call` with a timeout of its own (`ms`), on top of `signal`: past it, the call is aborted and rejects
 * with `AttemptTimeoutError`; the timer is cleared when the call ends.
 */
export async function withTimeout(ms: number, signal: AbortSignal, call: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const controller = new AbortController()
  const error = new AttemptTimeoutError(ms)
  const timer = setTimeout(() => controller.abort(error), ms)
  const onAbort = (): void => controller.abort(signal.reason)
  if (signal.aborted) onAbort()
  else signal.addEventListener('abort', onAbort, { once: true })
  try {
    await call(controller.signal)
  } finally {
    clearTimeout(timer)
    signal.removeEventListener('abort', onAbort)
  }
}

/** A 4xx: the provider is up and answering (a 429 is its pacing), so no breaker counts it. */
export const isClientError = (e: unknown): boolean => e instanceof ProviderError && e.status >= 400 && e.status < 500

/** What a gateway sent to each provider and what came back, counted on the gateway's side. */
export interface CallCounts {
  sent: number
  /** Answers by status. */
  statuses: Record<number, number>
  /** Calls the gateway gave up on before an answer (an attempt timeout or the request's deadline). */
  aborted: number
  /** Network errors other than an abort. */
  errors: number
}

/** A gateway: sends each request (through its own queues and policies) and resolves when it succeeded. */
export interface Gateway {
  readonly name: string
  /**
   * Resolves on a 200 from the request's provider; rejects with the last error, or with the signal's reason at
   * the deadline. `deadlineMs`: what is left of the request's deadline as it is sent (the signal aborts then).
   */
  send(request: Request, signal: AbortSignal, deadlineMs: number): Promise<void>
  close(): Promise<void>
}

/** How a gateway is built: the providers' URLs, and the counter of its calls. */
export type GatewayFactory = (urls: Readonly<Record<ProviderName, string>>, call: (request: Request, signal: AbortSignal) => Promise<void>) => Gateway

/** A call to a provider with fetch, counted; rejects with `ProviderError` on a non-2xx answer. */
export function caller(urls: Readonly<Record<ProviderName, string>>): { call: (request: Request, signal: AbortSignal) => Promise<void>; counts: Record<ProviderName, CallCounts> } {
  const counts = Object.fromEntries(PROVIDERS.map((p) => [p, { sent: 0, statuses: {}, aborted: 0, errors: 0 } satisfies CallCounts])) as Record<ProviderName, CallCounts>
  const call = async (request: Request, signal: AbortSignal): Promise<void> => {
    const c = counts[request.provider]
    c.sent++
    let response: Response
    try {
      response = await fetch(urls[request.provider], { method: 'POST', body: `{"id":${request.id},"tenant":"${request.tenant}"}`, headers: { 'content-type': 'application/json' }, signal })
    } catch (error) {
      if (signal.aborted) c.aborted++
      else c.errors++
      throw error
    }
    c.statuses[response.status] = (c.statuses[response.status] ?? 0) + 1
    try {
      await response.text()
    } catch (error) {
      // The answer came; its body was cut by an abort. The call counts as answered.
      if (!signal.aborted) throw error
      throw signal.reason
    }
    if (!response.ok) throw new ProviderError(response.status, response.headers, `${request.provider}: HTTP ${response.status}`)
  }
  return { call, counts }
}
