// Recipe 1 of docs/recipes.md: per-provider isolation for LLM API calls.
import { createPool, type KeyFunction, type TaskContext } from '@poolkit/core'
import { createFairQueue } from '@poolkit/queue'
import { combine, createBulkhead, createCircuitBreaker, createRateLimiter } from '@poolkit/breaker'
import { adaptiveLimit } from '@poolkit/scaler'

type Provider = 'openai' | 'anthropic'
interface Prompt { tenant: string; provider: Provider; text: string }

// An HTTP failure the policies can read: `status` for the breaker and retries,
// `headers` for the rate limiter's retry-after (readRetryAfter looks there).
class ProviderError extends Error {
  override name = 'ProviderError'
  constructor(readonly status: number, readonly headers: Headers, message: string) {
    super(message)
  }
}

const requests: Record<Provider, (text: string) => [string, RequestInit]> = {
  openai: (text) => ['https://api.openai.com/v1/chat/completions', {
    headers: { authorization: `Bearer ${process.env.OPENAI_API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] }),
  }],
  anthropic: (text) => ['https://api.anthropic.com/v1/messages', {
    headers: { 'x-api-key': `${process.env.ANTHROPIC_API_KEY}`, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude-3-5-haiku-latest', max_tokens: 1024, messages: [{ role: 'user', content: text }] }),
  }],
}

async function complete({ provider, text }: Prompt, { signal }: TaskContext): Promise<unknown> {
  const [url, init] = requests[provider](text)
  const response = await fetch(url, { ...init, method: 'POST', signal })
  if (!response.ok) throw new ProviderError(response.status, response.headers, `${provider}: HTTP ${response.status}`)
  return response.json()
}

const isClientError = (e: unknown) => e instanceof ProviderError && e.status >= 400 && e.status < 500

// The task's key is its tenant (the fair queue takes turns by it); the provider policies group by provider.
const byProvider: KeyFunction = (task) => task.labels?.provider

const circuits = createCircuitBreaker({
  key: byProvider, // one circuit per provider
  failureRateThreshold: 0.5, // half the calls of the last minute failed...
  window: { type: 'time', ms: 60_000 },
  minimumCalls: 20,
  openMs: 10_000, // ...so stop calling it for 10 s, then probe
  isFailure: (e) => !isClientError(e), // a 4xx (429 included) is not the provider being down
  whenOpen: 'hold', // its tasks wait aside; the other providers keep running
})
circuits.on('open', (e) => console.warn(`${e.key} is failing (${e.reason}); retrying at ${new Date(e.openUntil).toISOString()}`))

const pool = createPool({
  name: 'llm',
  handler: complete,
  queue: createFairQueue({ maxPerKey: 10_000 }), // takes turns between tenants: one tenant's backlog never starves another's
  breaker: combine(
    circuits,
    createBulkhead({ key: byProvider, limits: { openai: 64, anthropic: 32 } }), // calls in flight per provider
    createRateLimiter({ key: byProvider, limits: { openai: { perSecond: 50, burst: 10 }, anthropic: { perSecond: 20 } } }), // last: a token only for a task that starts
  ),
  scaler: adaptiveLimit({ min: 4, max: 96, algorithm: 'aimd' }), // grows while calls succeed, cuts on 429s and timeouts
  taskTimeout: 60_000,
  retry: { attempts: 3, backoff: { initialMs: 500 }, retryIf: (e) => !isClientError(e) }, // 5xx and network errors; a 429 waits out its retry-after without spending an attempt
})

const prompts: Prompt[] = [
  { tenant: 'acme', provider: 'openai', text: 'Name three prime numbers.' },
  { tenant: 'globex', provider: 'anthropic', text: 'Name three noble gases.' },
]
// Each caller waits at most two minutes: a task still queued or held then fails with DeadlineExceededError,
// and so does one with less than 10 s left (a completion takes seconds: it would spend a token for nothing).
const results = await Promise.allSettled(
  prompts.map((p) => pool.run(p, { key: p.tenant, labels: { provider: p.provider }, deadlineMs: 120_000, minTimeLeftMs: 10_000 })),
)
for (const [i, r] of results.entries()) console.log(prompts[i]?.provider, r.status === 'fulfilled' ? r.value : r.reason)
await pool.close()
