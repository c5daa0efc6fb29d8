// DNS rebinding: a page on evil.example whose name is made to resolve to
// 127.0.0.1 reaches the metrics server from the developer's browser, with
// `Host: evil.example`. The server answers only the names it serves under.
import { request } from 'node:http'
import { connect } from 'node:net'
import { afterEach, describe, expect, test } from 'vitest'
import { serveMetrics, type MetricsServer, type ServeMetricsOptions } from '../src/http.js'
import { hostCheck } from '../src/internal/host-check.js'
import type { MetricsSnapshot } from '../src/snapshot.js'

/** A source that counts its reads, so a refused request is seen to read nothing. */
function countingSource() {
  const source = {
    reads: 0,
    snapshot(): MetricsSnapshot {
      source.reads++
      return { time: 1, pools: [] }
    },
    toPrometheus(): string {
      source.reads++
      return '# secret\n'
    },
  }
  return source
}

const servers: MetricsServer[] = []
async function serve(more: Partial<ServeMetricsOptions> = {}) {
  const source = countingSource()
  const server = await serveMetrics({ metrics: source, port: 0, ...more })
  servers.push(server)
  return { server, source }
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

/** One request to the server with this `Host` header; the body is read only when `readBody`. */
function ask(server: MetricsServer, host: string, path = '/metrics.json', method = 'GET', readBody = true): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method, headers: { host } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      if (!readBody) {
        resolve({ status: res.statusCode!, type: res.headers['content-type'] ?? '', body })
        res.destroy()
        return
      }
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'] ?? '', body }))
    })
    req.on('error', reject)
    req.end()
  })
}

const ROUTES = ['/', '/events', '/metrics', '/metrics.json', '/health', '/nope']

describe('serveMetrics: the Host check against DNS rebinding', () => {
  test('refuses a request whose Host names another site with 403 on every route and method, reading nothing', async () => {
    const { server, source } = await serve()
    for (const host of ['evil.example', `evil.example:${server.port}`, 'localhost.evil.example', 'evil.example.', '127.0.0.1.evil.example', 'localhost:80@evil.example']) {
      for (const path of ROUTES) {
        for (const method of ['GET', 'HEAD', 'POST']) {
          const res = await ask(server, host, path, method, path !== '/events')
          expect(res.status, `${method} ${path} with Host ${host}`).toBe(403)
          expect(res.type).toBe('text/plain; charset=utf-8')
          if (method === 'GET' && path !== '/events') expect(res.body).toMatch(/^forbidden: host .* is not allowed; add it to serveMetrics' allowedHosts\n$/)
        }
      }
    }
    expect(source.reads).toBe(0)
  })

  test('answers loopback names and IP addresses, with or without a port', async () => {
    const { server } = await serve()
    const port = server.port
    for (const host of [
      'localhost',
      `localhost:${port}`,
      'LocalHost:8080',
      'localhost.',
      'dashboard.localhost',
      `a.b.localhost:${port}`,
      '127.0.0.1',
      `127.0.0.1:${port}`,
      '[::1]',
      `[::1]:${port}`,
      '10.0.0.7:9464',
      '[fe80::1]',
    ]) {
      const res = await ask(server, host)
      expect(res.status, `Host ${host}`).toBe(200)
      expect(JSON.parse(res.body)).toEqual({ time: 1, pools: [] })
    }
    // The stream and the page too.
    expect((await ask(server, `localhost:${port}`, '/events', 'GET', false)).status).toBe(200)
    expect((await ask(server, `localhost:${port}`, '/')).status).toBe(200)
  })

  test('answers a request with no Host header (HTTP/1.0: no browser sends one)', async () => {
    const { server } = await serve()
    const socket = connect(server.port, '127.0.0.1')
    socket.setEncoding('utf8')
    let text = ''
    socket.on('data', (chunk: string) => (text += chunk))
    socket.write('GET /metrics HTTP/1.0\r\n\r\n')
    await new Promise((resolve) => socket.on('close', resolve))
    expect(text).toMatch(/^HTTP\/1\.1 200 /)
    expect(text).toContain('# secret')
  })

  test('refuses a malformed Host header', async () => {
    const { server } = await serve()
    for (const host of ['[::1', '[::1]x', '[evil.example]', 'localhost:port', 'local host', ':9464', '.localhost', 'evil..localhost', '..']) {
      expect((await ask(server, host)).status, `Host ${host}`).toBe(403)
    }
  })

  test('allowedHosts adds names, any case and any port, and an entry with a leading dot a domain with every name under it', async () => {
    const { server } = await serve({ allowedHosts: ['metrics.internal', '.svc.example', 'box.lan:9464'] })
    for (const host of ['metrics.internal', 'METRICS.Internal:443', 'svc.example', 'a.b.svc.example:1', 'box.lan', 'box.lan:1']) {
      expect((await ask(server, host)).status, `Host ${host}`).toBe(200)
    }
    for (const host of ['other.internal', 'evilsvc.example', 'metrics.internal.evil.example', 'evil.example']) {
      expect((await ask(server, host)).status, `Host ${host}`).toBe(403)
    }
  })

  test.each([[true], ['all']] as const)('allowedHosts %s answers any Host', async (allowedHosts) => {
    const { server } = await serve({ allowedHosts })
    expect((await ask(server, 'evil.example')).status).toBe(200)
    expect((await ask(server, 'evil.example', '/events', 'GET', false)).status).toBe(200)
  })

  test('a server bound to a host name also answers that name; one bound to an address, only the names above', () => {
    const named = hostCheck('Metrics.Box', [])
    expect(named('metrics.box:9464')).toBe(true)
    expect(named('other.box')).toBe(false)
    const any = hostCheck('0.0.0.0', [])
    expect(any('192.168.1.20:9464')).toBe(true)
    expect(any('metrics.box')).toBe(false)
    expect(hostCheck('::', ['metrics.box'])('metrics.box')).toBe(true)
  })

  test('rejects an invalid allowedHosts with a TypeError naming it and the value', async () => {
    for (const [bad, shown] of [
      [[''], '""'],
      [['a b'], '"a b"'],
      [['.'], '"."'],
      [['..'], '".."'],
      [['a..b'], '"a..b"'],
      [[1], '1'],
      ['localhost', '"localhost"'],
      [false, 'false'],
      [{}, 'an object'],
    ] as const) {
      const error = await serveMetrics({ metrics: countingSource(), port: 0, allowedHosts: bad as never }).then(
        (s) => (servers.push(s), undefined),
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(TypeError)
      expect((error as Error).message).toContain('options.allowedHosts')
      expect((error as Error).message).toContain(shown)
    }
  })
})
