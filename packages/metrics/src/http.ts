import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { DASHBOARD_SCRIPT, DASHBOARD_STYLE, renderDashboard } from './dashboard.js'
import { allowedEntry, hostCheck } from './internal/host-check.js'
import { describe } from './internal/validate.js'
import type { MetricsSnapshot, PoolMetrics } from './snapshot.js'

// The snapshot types MetricsSource names, so this entry's API report is self-contained.
export type { KeyMetrics, LatencyBucket, LatencyMetrics, LatencySummary, MetricsSnapshot, PoolMetrics, RejectedCounts, TaskCounts, WindowRates, WorkerMetrics } from './snapshot.js'

/**
 * What {@link serveMetrics} reads: anything with a JSON snapshot and a
 * Prometheus rendering, such as the object `createMetrics()` returns.
 * @public
 */
export interface MetricsSource {
  /** The current measurements, as plain JSON. */
  snapshot(): MetricsSnapshot
  /** The same in the Prometheus text exposition format (version 0.0.4). */
  toPrometheus(): string
}

/**
 * Options of {@link serveMetrics}.
 * @public
 */
export interface ServeMetricsOptions {
  /** Where the measurements come from; read afresh on every request and tick. */
  metrics: MetricsSource
  /**
   * The TCP port; `0` picks a free one (read it back from `server.port`).
   * @defaultValue 9464
   */
  port?: number
  /**
   * The address to listen on. The loopback default keeps the server private to
   * the machine; `'0.0.0.0'` or `'::'` exposes it to the network.
   * @defaultValue '127.0.0.1'
   */
  host?: string
  /**
   * How often `/events` sends a snapshot to each connected client (ms).
   * @defaultValue 1000
   */
  intervalMs?: number
  /**
   * Host names the server answers besides the ones it always does, against DNS
   * rebinding: a web page whose name was made to resolve to this machine could
   * otherwise read the snapshot (task keys included). A request whose `Host`
   * header names another host gets `403` on every route. Always answered: IP
   * addresses (a page cannot make a browser send one that is not its own),
   * `localhost` and `*.localhost`, and `host` when it is a name. An entry is
   * a host name (any case; a port in it is ignored), or one starting with a dot
   * (`'.example.com'`) for that name and every name under it. `true` or
   * `'all'` answers any `Host`: only for a server behind a proxy that checks
   * it.
   * @defaultValue `[]` (only the names above)
   * @example
   * ```ts
   * await serveMetrics({ metrics, host: '0.0.0.0', allowedHosts: ['metrics.internal', '.svc.cluster.local'] })
   * ```
   */
  allowedHosts?: readonly string[] | true | 'all'
}

/**
 * A running metrics server, as {@link serveMetrics} resolves it.
 * @public
 */
export interface MetricsServer {
  /** The port it listens on (the one picked, when `port` was 0). */
  readonly port: number
  /** Its base URL, such as `http://127.0.0.1:9464`; the dashboard is at this address. */
  readonly url: string
  /**
   * Stops the server: ends every `/events` stream, closes every connection and
   * the listening socket. Resolves once all are closed; calling it again
   * returns the same promise.
   */
  close(): Promise<void>
}

/** The per-pool part of the `/health` body. */
interface PoolHealth {
  readonly pool: string
  readonly state: PoolMetrics['state']
  readonly workers: number
  readonly ok: boolean
  readonly reason?: string
}

const DEFAULT_PORT = 9464
const DEFAULT_HOST = '127.0.0.1'
const DEFAULT_INTERVAL_MS = 1000
const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`
// The page loads nothing from elsewhere; hashes admit exactly its inline script and style.
const DASHBOARD_CSP = [
  "default-src 'none'",
  `script-src ${sha256(DASHBOARD_SCRIPT)}`,
  `style-src ${sha256(DASHBOARD_STYLE)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/**
 * Serves a metrics source over HTTP (Node only): `/metrics` (Prometheus text),
 * `/metrics.json` (the snapshot), `/health` (200 or 503), `/events` (a
 * server-sent-events stream of snapshots) and a live dashboard at `/`.
 * A request whose `Host` header names a host other than an IP address,
 * `localhost`, the bound `host` or one of `allowedHosts` gets `403` on every
 * route, against DNS rebinding (see {@link ServeMetricsOptions.allowedHosts}).
 *
 * @param options - what to serve and where; validated before anything listens.
 * @returns the running server, once it listens.
 * @throws TypeError when an option is invalid (the promise rejects); the
 * listen error, such as `EADDRINUSE`, when the port is taken.
 * @example
 * ```ts
 * import { createPool } from '@poolkit/core'
 * import { createMetrics } from '@poolkit/metrics'
 * import { serveMetrics } from '@poolkit/metrics/http'
 *
 * const metrics = createMetrics()
 * const pool = createPool({ handler, observers: [metrics] })
 * const server = await serveMetrics({ metrics, port: 9464 })
 * console.log(`dashboard at ${server.url}/`)
 * // ...
 * await server.close()
 * await pool.close()
 * ```
 * @public
 */
export async function serveMetrics(options: ServeMetricsOptions): Promise<MetricsServer> {
  const { metrics, port, host, intervalMs, allowedHosts } = validate(options)
  const hostAllowed = hostCheck(host, allowedHosts)
  const streams = new Set<ServerResponse>()
  const blocked = new WeakSet<ServerResponse>()
  let timer: ReturnType<typeof setInterval> | undefined
  let closing: Promise<void> | undefined

  const frame = (): string => {
    try {
      return `data: ${JSON.stringify(metrics.snapshot())}\n\n`
    } catch (error) {
      // A comment keeps the stream alive and tells a reader why no data came.
      return `: snapshot failed: ${oneLine(error)}\n\n`
    }
  }
  const send = (res: ServerResponse, text: string): void => {
    // A client that cannot keep up skips snapshots instead of buffering them.
    if (blocked.has(res)) return
    if (!res.write(text)) {
      blocked.add(res)
      res.once('drain', () => blocked.delete(res))
    }
  }
  const tick = (): void => {
    const text = frame()
    for (const res of streams) send(res, text)
  }
  const openStream = (req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    res.write(`retry: ${intervalMs}\n: poolkit metrics, a snapshot every ${intervalMs} ms\n\n`)
    streams.add(res)
    send(res, frame())
    if (timer === undefined) {
      timer = setInterval(tick, intervalMs)
      timer.unref()
    }
    req.socket.setNoDelay(true)
    res.on('close', () => {
      streams.delete(res)
      if (streams.size === 0 && timer !== undefined) {
        clearInterval(timer)
        timer = undefined
      }
    })
  }

  const server = createServer((req, res) => {
    try {
      route(req, res)
    } catch (error) {
      if (res.headersSent) res.destroy(error instanceof Error ? error : undefined)
      else reply(req, res, 500, 'text/plain; charset=utf-8', `internal error: ${oneLine(error)}\n`)
    }
  })
  const route = (req: IncomingMessage, res: ServerResponse): void => {
    // Before anything else, on every path: a rebound name must learn nothing, not even which paths exist.
    const hostHeader = req.headers.host
    if (hostHeader !== undefined && !hostAllowed(hostHeader)) {
      return reply(req, res, 403, 'text/plain; charset=utf-8', `forbidden: host ${JSON.stringify(hostHeader)} is not allowed; add it to serveMetrics' allowedHosts\n`)
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    const known = path === '/' || path === '/metrics' || path === '/metrics.json' || path === '/health' || path === '/events'
    if (!known) return reply(req, res, 404, 'text/plain; charset=utf-8', `not found: ${path}\n`)
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD')
      return reply(req, res, 405, 'text/plain; charset=utf-8', `method not allowed: ${req.method}\n`)
    }
    switch (path) {
      case '/':
        res.setHeader('content-security-policy', DASHBOARD_CSP)
        return reply(req, res, 200, 'text/html; charset=utf-8', renderDashboard(intervalMs))
      case '/metrics':
        return reply(req, res, 200, PROMETHEUS_TYPE, metrics.toPrometheus())
      case '/metrics.json':
        return reply(req, res, 200, 'application/json; charset=utf-8', JSON.stringify(metrics.snapshot()))
      case '/health': {
        const health = healthOf(metrics.snapshot())
        return reply(req, res, health.status === 'ok' ? 200 : 503, 'application/json; charset=utf-8', JSON.stringify(health))
      }
      default:
        if (req.method === 'HEAD' || closing !== undefined) {
          res.writeHead(closing === undefined ? 200 : 503, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' })
          return void res.end()
        }
        return openStream(req, res)
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`

  return {
    port: address.port,
    url,
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        if (timer !== undefined) clearInterval(timer)
        timer = undefined
        for (const res of streams) res.end()
        streams.clear()
        server.close((error) => (error ? reject(error) : resolve()))
        // Ends keep-alive sockets and any stream still flushing, so close() does not wait on clients.
        server.closeAllConnections()
      })),
  }
}

/**
 * The `/health` verdict: ok when there is at least one pool and every pool is
 * open or paused with at least one live worker (started and not exited).
 */
function healthOf(snapshot: MetricsSnapshot): { status: 'ok' | 'unavailable'; reason?: string; pools: PoolHealth[] } {
  const pools = snapshot.pools.map((p): PoolHealth => {
    const base = { pool: p.pool, state: p.state, workers: p.workers.total }
    if (p.state !== 'open' && p.state !== 'paused') return { ...base, ok: false, reason: `pool ${p.pool} is ${p.state}` }
    if (p.workers.total <= 0) return { ...base, ok: false, reason: `pool ${p.pool} has no live workers` }
    return { ...base, ok: true }
  })
  if (pools.length === 0) return { status: 'unavailable', reason: 'no pool is attached to the metrics', pools }
  const failing = pools.filter((p) => !p.ok)
  if (failing.length > 0) return { status: 'unavailable', reason: failing.map((p) => p.reason).join('; '), pools }
  return { status: 'ok', pools }
}

function reply(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  })
  res.end(req.method === 'HEAD' ? undefined : body)
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/[\r\n]+/g, ' ')
}

function validate(options: ServeMetricsOptions): Required<ServeMetricsOptions> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object, got ${describe(options)}`)
  }
  const { metrics, port = DEFAULT_PORT, host = DEFAULT_HOST, intervalMs = DEFAULT_INTERVAL_MS, allowedHosts = [] } = options
  if (typeof metrics !== 'object' || metrics === null || typeof metrics.snapshot !== 'function' || typeof metrics.toPrometheus !== 'function') {
    throw new TypeError(`options.metrics must have snapshot() and toPrometheus() methods, got ${describe(metrics)}`)
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`options.port must be an integer from 0 to 65535, got ${describe(port)}`)
  }
  if (typeof host !== 'string' || host.length === 0) {
    throw new TypeError(`options.host must be a non-empty string, got ${describe(host)}`)
  }
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs < 10) {
    throw new TypeError(`options.intervalMs must be a finite number of at least 10 (ms), got ${describe(intervalMs)}`)
  }
  if (allowedHosts !== true && allowedHosts !== 'all') {
    if (!Array.isArray(allowedHosts)) throw new TypeError(`options.allowedHosts must be an array of host names, true or 'all', got ${describe(allowedHosts)}`)
    const isName = (h: unknown): boolean => typeof h === 'string' && allowedEntry(h) !== undefined
    const bad: unknown[] = (allowedHosts as unknown[]).filter((h) => !isName(h))
    if (bad.length > 0) throw new TypeError(`options.allowedHosts must hold host names (such as 'metrics.internal' or '.example.com'), got ${describe(bad[0])}`)
  }
  return { metrics, port, host, intervalMs, allowedHosts }
}
