// The HTTP server: POST /render (Markdown in, HTML out, the CPU work on the offload) and
// GET /health (cheap: answered by the event loop alone). A full pool answers 503 with
// Retry-After; close() stops taking connections, lets the requests in flight finish,
// then closes the pool.
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Busy, createOffload, type OffloadOptions } from './offload.js'

/** The largest Markdown document /render takes; larger ones get 413. */
export const MAX_BODY_BYTES = 1 << 20

export interface ServerOptions extends OffloadOptions {
  /** @defaultValue 0 (a free port) */
  port?: number
  /** @defaultValue '127.0.0.1' */
  host?: string
  /** How long close() waits for requests in flight before it drops their connections (ms). @defaultValue 10000 */
  closeTimeout?: number
}

export interface RunningServer {
  readonly url: string
  readonly port: number
  /** Stops taking connections, finishes the requests in flight, closes the pool. */
  close(): Promise<void>
}

class TooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let bytes = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    bytes += chunk.length
    if (bytes > MAX_BODY_BYTES) throw new TooLarge()
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Starts the workers, then the server; resolves once it listens. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const offload = createOffload(options)
  // Traffic only once the workers are up: a request never waits for a thread to start.
  try {
    await offload.ready()
  } catch (error) {
    await offload.close()
    throw error
  }
  let closing = false

  const send = (res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void => {
    // While closing, each answer ends its keep-alive connection, so the server can finish closing.
    if (closing) headers.connection = 'close'
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers })
    res.end(body)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0]
    if (path === '/health') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n', { allow: 'GET, HEAD' })
      return send(res, closing ? 503 : 200, 'application/json', `${JSON.stringify({ status: closing ? 'closing' : 'ok', mode: offload.mode, ...offload.load() })}\n`)
    }
    if (path !== '/render') return send(res, 404, 'text/plain', 'not found\n')
    if (req.method !== 'POST') return send(res, 405, 'text/plain', 'method not allowed\n', { allow: 'POST' })
    const refused = offload.refusal()
    if (refused !== undefined) {
      // Refused before the upload is buffered: the body is read and dropped.
      req.resume()
      await once(req, 'end')
      return send(res, 503, 'text/plain', `${refused.message}\n`, { 'retry-after': String(refused.retryAfterS) })
    }
    let markdown: string
    try {
      markdown = await readBody(req)
    } catch (error) {
      if (error instanceof TooLarge) return send(res, 413, 'text/plain', `the document is over ${MAX_BODY_BYTES} bytes\n`, { connection: 'close' })
      throw error
    }
    try {
      send(res, 200, 'text/html; charset=utf-8', await offload.render(markdown))
    } catch (error) {
      if (!(error instanceof Busy)) throw error
      send(res, 503, 'text/plain', `${error.message}\n`, { 'retry-after': String(error.retryAfterS) })
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy()
      send(res, 500, 'text/plain', `${error instanceof Error ? error.message : String(error)}\n`)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  let closed: Promise<void> | undefined

  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    close() {
      closed ??= (async () => {
        closing = true
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()))
        // Idle keep-alive connections go now; busy ones after their answer (Connection: close).
        server.closeIdleConnections()
        const timer = setTimeout(() => server.closeAllConnections(), options.closeTimeout ?? 10_000)
        await serverClosed
        clearTimeout(timer)
        await offload.close()
      })()
      return closed
    },
  }
}
