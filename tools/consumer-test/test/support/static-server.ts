// A tiny static file server on 127.0.0.1 and a free port, for the built pages.
// 127.0.0.1 is a secure context, so the pages may use crypto.subtle.
import { readFile, stat } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, resolve, sep } from 'node:path'

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
}

export interface StaticServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  close(): Promise<void>
}

export async function serveStatic(folder: string): Promise<StaticServer> {
  const root = resolve(folder)
  const server = createServer((request, response) => {
    // Never rejects: whatever fails (a malformed escape in the URL included) is answered with a 404.
    void (async () => {
      let pathname = request.url ?? '/'
      try {
        pathname = decodeURIComponent(new URL(pathname, 'http://127.0.0.1').pathname)
        let file = resolve(join(root, pathname))
        if (file !== root && !file.startsWith(root + sep)) return void response.writeHead(403).end()
        if ((await stat(file)).isDirectory()) file = join(file, 'index.html')
        const body = await readFile(file)
        response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body)
      } catch {
        response.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${pathname}`)
      }
    })()
  })
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => done())
  })
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections()
        server.close(() => done())
      }),
  }
}
