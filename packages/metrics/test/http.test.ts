import { once } from 'node:events'
import { createServer, get, request, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createPool } from '@poolkit/core'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { serveMetrics, type MetricsServer, type MetricsSource } from '../src/http.js'
import { createMetrics } from '../src/index.js'
import type { MetricsSnapshot, PoolMetrics } from '../src/snapshot.js'

const summary = (p50 = 0) => ({ count: 0, sum: 0, min: 0, max: 0, mean: 0, p50, p90: p50, p95: p50, p99: p50, p999: p50 })
const rates = (v = 0) => ({ '1s': v, '10s': v, '60s': v })

/** A pool's metrics with everything zero but what `over` sets. */
function poolMetrics(over: Partial<PoolMetrics> & { workersTotal?: number } = {}): PoolMetrics {
  const { workersTotal = 2, ...rest } = over
  return {
    pool: 'pool',
    state: 'open',
    tasks: {
      submitted: 0,
      started: 0,
      completed: 0,
      failed: 0,
      rejected: 0,
      rejectedBy: { queueFull: 0, dropped: 0, closed: 0, circuitOpen: 0, noWorkers: 0, unplaceable: 0 },
      cancelled: 0,
      timedOut: 0,
      retried: 0,
      deadLettered: 0,
    },
    workers: { total: workersTotal, busy: 0, idle: workersTotal, starting: 0, started: workersTotal, crashed: 0, restarts: 0, eventLoopUtilization: [] },
    queueDepth: 0,
    running: 0,
    utilization: 0,
    wait: { recent: summary(), total: summary(), buckets: [] },
    run: { recent: summary(), total: summary(), buckets: [] },
    throughput: rates(),
    errorRate: rates(),
    keys: [],
    untrackedKeyTasks: 0,
    ...rest,
  }
}

/** A source whose pools the test sets, counting snapshot() calls; `time` is the call's number. */
function fakeSource(pools: PoolMetrics[] = [poolMetrics()]) {
  const source = {
    pools,
    calls: 0,
    /** When each snapshot() call happened (performance.now()). */
    stamps: [] as number[],
    fail: undefined as Error | undefined,
    prometheus: '# TYPE poolkit_tasks_completed_total counter\npoolkit_tasks_completed_total{pool="pool"} 0\n',
    snapshot(): MetricsSnapshot {
      source.stamps.push(performance.now())
      if (source.fail) throw source.fail
      return { time: ++source.calls, pools: source.pools }
    },
    toPrometheus(): string {
      return source.prometheus
    },
  }
  return source
}

interface Frame {
  readonly data?: string
  readonly comments: readonly string[]
  readonly retry?: number
}

/** A bare SSE client that keeps every frame, comments and `retry:` included. */
async function openEvents(url: string) {
  const frames: Frame[] = []
  const waiters: (() => void)[] = []
  let read = 0
  let buffer = ''
  const req = get(url)
  const [res] = (await once(req, 'response')) as [IncomingMessage]
  const ended = new Promise<void>((resolve) => res.on('end', resolve).on('close', resolve))
  res.setEncoding('utf8')
  res.on('data', (chunk: string) => {
    buffer += chunk
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const lines = buffer.slice(0, end).split('\n')
      buffer = buffer.slice(end + 2)
      const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6))
      const retry = lines.find((l) => l.startsWith('retry: '))
      frames.push({
        comments: lines.filter((l) => l.startsWith(':')).map((l) => l.slice(1).trim()),
        ...(data.length > 0 ? { data: data.join('\n') } : {}),
        ...(retry ? { retry: Number(retry.slice(7)) } : {}),
      })
      waiters.splice(0).forEach((wake) => wake())
    }
  })
  const nextFrame = async (): Promise<Frame> => {
    while (read >= frames.length) await new Promise<void>((wake) => waiters.push(wake))
    return frames[read++]!
  }
  return {
    res,
    frames,
    ended,
    nextFrame,
    /** The next snapshot sent, skipping comment-only frames. */
    async nextSnapshot(): Promise<MetricsSnapshot> {
      for (;;) {
        const frame = await nextFrame()
        if (frame.data !== undefined) return JSON.parse(frame.data) as MetricsSnapshot
      }
    },
    close: () => req.destroy(),
  }
}

const servers: MetricsServer[] = []
async function serve(source: MetricsSource, more: { intervalMs?: number; port?: number } = {}): Promise<MetricsServer> {
  const server = await serveMetrics({ metrics: source, port: 0, ...more })
  servers.push(server)
  return server
}
afterEach(async () => {
  vi.useRealTimers()
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

describe('serveMetrics: routes', () => {
  test('listens on a free loopback port when port is 0 and reports it in port and url', async () => {
    const server = await serve(fakeSource())
    expect(server.port).toBeGreaterThan(0)
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`)
  })

  test('/metrics serves the Prometheus text with the 0.0.4 content type', async () => {
    const source = fakeSource()
    const server = await serve(source)
    const res = await fetch(`${server.url}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(await res.text()).toBe(source.prometheus)
  })

  test('/metrics.json serves a fresh snapshot as JSON on every request', async () => {
    const source = fakeSource([poolMetrics({ pool: 'a', queueDepth: 3 })])
    const server = await serve(source)
    const first = await fetch(`${server.url}/metrics.json`)
    expect(first.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(await first.json()).toEqual({ time: 1, pools: source.pools })
    source.pools = [poolMetrics({ pool: 'a', queueDepth: 7 })]
    const second = (await (await fetch(`${server.url}/metrics.json`)).json()) as MetricsSnapshot
    expect(second.time).toBe(2)
    expect(second.pools[0]!.queueDepth).toBe(7)
  })

  test('a query string does not change the route', async () => {
    const server = await serve(fakeSource())
    expect((await fetch(`${server.url}/metrics?name[]=poolkit_tasks`)).status).toBe(200)
  })

  test('/ serves the dashboard page with a CSP that admits no other origin', async () => {
    const server = await serve(fakeSource(), { intervalMs: 250 })
    const res = await fetch(`${server.url}/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const csp = res.headers.get('content-security-policy')!
    expect(csp).toContain("default-src 'none'")
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/)
    expect(csp).toContain("connect-src 'self'")
    const html = await res.text()
    expect(html).toMatch(/^<!doctype html>/)
    expect(html).toContain('a snapshot every 250 ms')
    for (const id of ['throughput', 'queue', 'workers', 'latency']) expect(html).toContain(`id="chart-${id}"`)
    // Nothing to fetch from elsewhere: no absolute URLs in src or href attributes.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//)
  })

  test('HEAD answers with the GET headers and no body', async () => {
    const server = await serve(fakeSource())
    const get = await fetch(`${server.url}/metrics.json`)
    const head = await fetch(`${server.url}/metrics.json`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(head.headers.get('content-length')).toBe(get.headers.get('content-length'))
    expect(await head.text()).toBe('')
    const events = await fetch(`${server.url}/events`, { method: 'HEAD' })
    expect(events.status).toBe(200)
    expect(events.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
  })

  test('an unknown path is 404 and another method is 405 with an Allow header', async () => {
    const server = await serve(fakeSource())
    const missing = await fetch(`${server.url}/nope`)
    expect(missing.status).toBe(404)
    expect(await missing.text()).toContain('/nope')
    const post = await fetch(`${server.url}/metrics`, { method: 'POST', body: 'x' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
  })

  test('a source that throws gives 500 with its message, and the server keeps serving', async () => {
    const source = fakeSource()
    const server = await serve(source)
    source.fail = new Error('registry gone')
    const res = await fetch(`${server.url}/metrics.json`)
    expect(res.status).toBe(500)
    expect(await res.text()).toContain('registry gone')
    source.fail = undefined
    expect((await fetch(`${server.url}/metrics.json`)).status).toBe(200)
  })
})

describe('serveMetrics: /health', () => {
  const health = async (pools: PoolMetrics[]) => {
    const server = await serve(fakeSource(pools))
    const res = await fetch(`${server.url}/health`)
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    return { status: res.status, body: (await res.json()) as { status: string; reason?: string; pools: unknown[] } }
  }

  test('is 200 while every pool is open with live workers', async () => {
    const { status, body } = await health([poolMetrics({ pool: 'a' }), poolMetrics({ pool: 'b', workersTotal: 1 })])
    expect(status).toBe(200)
    expect(body).toEqual({
      status: 'ok',
      pools: [
        { pool: 'a', state: 'open', workers: 2, ok: true },
        { pool: 'b', state: 'open', workers: 1, ok: true },
      ],
    })
  })

  test('is 200 for a paused pool that still has workers', async () => {
    expect((await health([poolMetrics({ state: 'paused' })])).status).toBe(200)
  })

  test('is 503 when no pool is attached', async () => {
    const { status, body } = await health([])
    expect(status).toBe(503)
    expect(body.reason).toBe('no pool is attached to the metrics')
  })

  test.each(['closing', 'closed'] as const)('is 503 naming the pool when it is %s', async (state) => {
    const { status, body } = await health([poolMetrics({ pool: 'ok' }), poolMetrics({ pool: 'jobs', state })])
    expect(status).toBe(503)
    expect(body.status).toBe('unavailable')
    expect(body.reason).toBe(`pool jobs is ${state}`)
  })

  test('is 503 when an open pool has no live workers', async () => {
    const { status, body } = await health([poolMetrics({ pool: 'jobs', workersTotal: 0 })])
    expect(status).toBe(503)
    expect(body.reason).toBe('pool jobs has no live workers')
  })
})

describe('serveMetrics: /events', () => {
  test('sends retry, a comment and a snapshot at once, then a snapshot every intervalMs', async () => {
    const source = fakeSource()
    const server = await serve(source, { intervalMs: 50 })
    const events = await openEvents(`${server.url}/events`)
    expect(events.res.statusCode).toBe(200)
    expect(events.res.headers['content-type']).toBe('text/event-stream; charset=utf-8')
    expect(events.res.headers['cache-control']).toBe('no-store')
    const hello = await events.nextFrame()
    expect(hello.retry).toBe(50)
    expect(hello.comments[0]).toMatch(/poolkit metrics/)
    expect(await events.nextSnapshot()).toEqual({ time: 1, pools: source.pools })
    const times: number[] = []
    for (let i = 0; i < 4; i++) times.push((await events.nextSnapshot()).time)
    expect(times).toEqual([2, 3, 4, 5])
    // Measured where the snapshots are taken: the timer starts after the first,
    // so four ticks of 50 ms come no sooner than 200 ms later (2 ms for clock granularity).
    expect(source.stamps[4]! - source.stamps[0]!).toBeGreaterThanOrEqual(4 * 50 - 2)
    events.close()
  })

  test('every frame is one data line holding the snapshot JSON', async () => {
    const source = fakeSource([poolMetrics({ pool: 'multi\nline' })])
    const server = await serve(source, { intervalMs: 50 })
    const events = await openEvents(`${server.url}/events`)
    const snap = await events.nextSnapshot()
    expect(snap.pools[0]!.pool).toBe('multi\nline')
    expect(events.frames.every((f) => f.data === undefined || !f.data.includes('\n'))).toBe(true)
    events.close()
  })

  test('the stream follows the source as it changes', async () => {
    const source = fakeSource([poolMetrics({ queueDepth: 0 })])
    const server = await serve(source, { intervalMs: 50 })
    const events = await openEvents(`${server.url}/events`)
    expect((await events.nextSnapshot()).pools[0]!.queueDepth).toBe(0)
    source.pools = [poolMetrics({ queueDepth: 12 })]
    let depth = 0
    while (depth !== 12) depth = (await events.nextSnapshot()).pools[0]!.queueDepth
    expect(depth).toBe(12)
    events.close()
  })

  test('a failing snapshot becomes a comment and the stream goes on', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const source = fakeSource()
    const server = await serve(source, { intervalMs: 100 })
    const events = await openEvents(`${server.url}/events`)
    await events.nextSnapshot()
    source.fail = new Error('bad\nstate')
    vi.advanceTimersByTime(100)
    let frame = await events.nextFrame()
    expect(frame.data).toBeUndefined()
    expect(frame.comments).toEqual(['snapshot failed: bad state'])
    source.fail = undefined
    vi.advanceTimersByTime(100)
    frame = await events.nextFrame()
    expect(frame.data).toBeDefined()
    events.close()
  })

  test('one timer serves all clients: each tick takes one snapshot and sends it to every client', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const source = fakeSource()
    const server = await serve(source, { intervalMs: 1000 })
    expect(vi.getTimerCount()).toBe(0)
    const clients = [await openEvents(`${server.url}/events`), await openEvents(`${server.url}/events`), await openEvents(`${server.url}/events`)]
    for (const c of clients) await c.nextSnapshot()
    expect(vi.getTimerCount()).toBe(1)
    const before = source.calls
    vi.advanceTimersByTime(1000)
    const ticked = await Promise.all(clients.map((c) => c.nextSnapshot()))
    expect(source.calls).toBe(before + 1)
    expect(ticked.map((s) => s.time)).toEqual([before + 1, before + 1, before + 1])
    for (const c of clients) c.close()
  })

  test('the timer stops after the last client leaves', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const server = await serve(fakeSource(), { intervalMs: 1000 })
    const a = await openEvents(`${server.url}/events`)
    const b = await openEvents(`${server.url}/events`)
    await Promise.all([a.nextSnapshot(), b.nextSnapshot()])
    a.close()
    vi.advanceTimersByTime(1000)
    await b.nextSnapshot()
    expect(vi.getTimerCount()).toBe(1)
    b.close()
    // The server learns of the disconnect through its socket; wait for that, not for a time.
    await vi.waitFor(() => expect(vi.getTimerCount()).toBe(0), { timeout: 5000, interval: 5 })
  })

  test('HEAD on /events sends headers only and opens no stream', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const source = fakeSource()
    const server = await serve(source)
    const res = await fetch(`${server.url}/events`, { method: 'HEAD' })
    expect(res.status).toBe(200)
    expect(source.calls).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('serveMetrics: close()', () => {
  test('ends open streams, stops the timer and frees the port', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const server = await serveMetrics({ metrics: fakeSource(), port: 0, intervalMs: 50 })
    const events = await openEvents(`${server.url}/events`)
    await events.nextSnapshot()
    await server.close()
    await events.ended
    expect(events.res.complete || events.res.destroyed).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
    await expect(fetch(`${server.url}/health`)).rejects.toThrow()
    // The port is free again: a new server can take it.
    const again = await serve(fakeSource(), { port: server.port })
    expect(again.port).toBe(server.port)
  })

  test('resolves while a client holds a keep-alive connection, and twice gives the same promise', async () => {
    const server = await serveMetrics({ metrics: fakeSource(), port: 0 })
    const agentReq = request(`${server.url}/metrics`, { headers: { connection: 'keep-alive' } })
    agentReq.end()
    const [res] = (await once(agentReq, 'response')) as [IncomingMessage]
    res.resume()
    await once(res, 'end')
    const first = server.close()
    expect(server.close()).toBe(first)
    await expect(first).resolves.toBeUndefined()
  })
})

describe('serveMetrics: options', () => {
  test('binds 127.0.0.1 on port 9464 by default', async () => {
    try {
      const server = await serveMetrics({ metrics: fakeSource() })
      servers.push(server)
      expect(server.url).toBe('http://127.0.0.1:9464')
    } catch (error) {
      // Something else on this machine holds 9464: the attempt still shows the default.
      expect(error).toMatchObject({ code: 'EADDRINUSE', address: '127.0.0.1', port: 9464 })
    }
  })

  test('rejects with the listen error when the port is taken', async () => {
    const other = createServer()
    other.listen(0, '127.0.0.1')
    await once(other, 'listening')
    const { port } = other.address() as AddressInfo
    try {
      await expect(serveMetrics({ metrics: fakeSource(), port })).rejects.toMatchObject({ code: 'EADDRINUSE' })
    } finally {
      other.close()
    }
  })

  const metrics = fakeSource()
  test.each([
    [null, 'options must be an object, got null'],
    [{}, 'options.metrics must have snapshot() and toPrometheus() methods, got undefined'],
    [{ metrics: { snapshot: () => ({ time: 0, pools: [] }) } }, 'options.metrics must have snapshot() and toPrometheus() methods, got an object'],
    [{ metrics, port: -1 }, 'options.port must be an integer from 0 to 65535, got -1'],
    [{ metrics, port: 1.5 }, 'options.port must be an integer from 0 to 65535, got 1.5'],
    [{ metrics, port: 65536 }, 'options.port must be an integer from 0 to 65535, got 65536'],
    [{ metrics, port: '80' }, 'options.port must be an integer from 0 to 65535, got "80"'],
    [{ metrics, host: '' }, 'options.host must be a non-empty string, got ""'],
    [{ metrics, host: 127 }, 'options.host must be a non-empty string, got 127'],
    [{ metrics, intervalMs: 0 }, 'options.intervalMs must be a finite number of at least 10 (ms), got 0'],
    [{ metrics, intervalMs: Number.NaN }, 'options.intervalMs must be a finite number of at least 10 (ms), got NaN'],
    [{ metrics, intervalMs: Infinity }, 'options.intervalMs must be a finite number of at least 10 (ms), got Infinity'],
  ])('rejects invalid options with a TypeError naming the option and value (%#)', async (options, message) => {
    const attempt = serveMetrics(options as never)
    await expect(attempt).rejects.toThrow(TypeError)
    await expect(attempt).rejects.toThrow(message)
  })
})

describe('serveMetrics with createMetrics and a real pool', () => {
  test('serves what the pool did, reports health until it closes, and streams its snapshots', async () => {
    const metrics = createMetrics()
    const pool = createPool({ name: 'jobs', concurrency: 2, handler: async (n: number) => n * 2, observers: [metrics] })
    // A Metrics is a MetricsSource (checked by the type checker too).
    const source: MetricsSource = metrics
    const server = await serve(source, { intervalMs: 50 })
    try {
      expect((await fetch(`${server.url}/health`)).status).toBe(200)
      await Promise.all(Array.from({ length: 10 }, (_, i) => pool.run(i)))

      const snap = (await (await fetch(`${server.url}/metrics.json`)).json()) as MetricsSnapshot
      expect(snap.pools.map((p) => p.pool)).toEqual(['jobs'])
      expect(snap.pools[0]!.tasks.completed).toBe(10)
      expect(await (await fetch(`${server.url}/metrics`)).text()).toMatch(/^poolkit_tasks_total\{pool="jobs",outcome="completed"\} 10$/m)

      const events = await openEvents(`${server.url}/events`)
      expect((await events.nextSnapshot()).pools[0]!.tasks.completed).toBe(10)
      await pool.run(99)
      let completed = 10
      while (completed < 11) completed = (await events.nextSnapshot()).pools[0]!.tasks.completed
      expect(completed).toBe(11)
      events.close()
    } finally {
      await pool.close()
    }
    const after = await fetch(`${server.url}/health`)
    expect(after.status).toBe(503)
    expect(((await after.json()) as { reason: string }).reason).toBe('pool jobs is closed')
  })
})
