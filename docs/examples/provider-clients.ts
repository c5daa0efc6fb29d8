// Recipe 5 of docs/recipes.md: pooled connections and rotating API keys, with metrics.
import { connect, type ClientHttp2Session } from 'node:http2'
import { createPool, type TaskContext } from '@poolkit/core'
import { createMetrics } from '@poolkit/metrics'
import { serveMetrics } from '@poolkit/metrics/http'
import { createKeyRing, createResourcePool } from '@poolkit/resource'

const origin = 'https://api.example.com'

// Long-lived HTTP/2 sessions: made once, reused by every task, checked before
// each use, closed when idle and replaced every 10 minutes.
const sessions = createResourcePool<ClientHttp2Session>({
  name: 'api-sessions',
  create: () =>
    new Promise((resolve, reject) => {
      const session = connect(origin)
      session.once('connect', () => resolve(session))
      session.once('error', reject)
    }),
  destroy: (session) => new Promise<void>((resolve) => session.close(() => resolve())),
  validate: (session) => !session.closed && !session.destroyed,
  min: 1,
  max: 4,
  idleTimeoutMs: 30_000,
  maxLifetimeMs: 10 * 60_000,
})

// Several API keys lent in turn; a key that gets a 429 rests for its Retry-After.
const keys = createKeyRing((process.env.API_KEYS ?? 'key-a,key-b').split(','), { name: 'api-keys', cooldownMs: 60_000 })

interface Reply {
  status: number
  retryAfter: string | undefined
  body: string
}

function post(session: ClientHttp2Session, key: string, payload: unknown, signal: AbortSignal): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const stream = session.request(
      { ':method': 'POST', ':path': '/v1/complete', authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      { signal },
    )
    const reply: Reply = { status: 0, retryAfter: undefined, body: '' }
    stream.on('response', (headers) => {
      reply.status = Number(headers[':status'])
      const retryAfter: string | string[] | undefined = headers['retry-after']
      reply.retryAfter = typeof retryAfter === 'string' ? retryAfter : retryAfter?.[0]
    })
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => (reply.body += chunk))
    stream.on('end', () => resolve(reply))
    stream.on('error', reject)
    stream.end(JSON.stringify(payload))
  })
}

async function complete(prompt: string, { signal }: TaskContext): Promise<unknown> {
  // A session and a key for this call; both go back when it ends, thrown or not.
  return sessions.use(
    (session) =>
      keys.use(
        async (key, lease) => {
          const reply = await post(session, key, { prompt }, signal)
          if (reply.status === 429) {
            lease.coolDown(reply.retryAfter) // this key rests; the retry takes the next one
            throw new Error('rate limited')
          }
          if (reply.status >= 400) throw new Error(`HTTP ${reply.status}`)
          return JSON.parse(reply.body) as unknown
        },
        { signal },
      ),
    { signal },
  )
}

// One Prometheus endpoint for the pool, the sessions and the keys.
const metrics = createMetrics({ collectors: [sessions, keys] })
const pool = createPool({
  name: 'api',
  handler: complete,
  concurrency: 32,
  taskTimeout: 30_000,
  retry: { attempts: 3, backoff: { initialMs: 200 } },
  observers: [metrics],
})
const server = await serveMetrics({ metrics, port: 9464 })

const answers = await Promise.allSettled(['Name three prime numbers.', 'Name three noble gases.'].map((p) => pool.run(p)))
console.log(answers)
console.log(sessions.stats()) // size, available, borrowed, hits, misses, hitRatio, meanWaitMs...

await pool.close()
await sessions.drain()
keys.close()
await server.close()
