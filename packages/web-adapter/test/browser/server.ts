import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const packagesDir = resolve(fileURLToPath(new URL('../../..', import.meta.url)))
const pagesDir = resolve(fileURLToPath(new URL('./pages', import.meta.url)))

/**
 * Bare specifiers of our packages, as the server rewrites them in served
 * JavaScript. Import maps are not used: Chromium applies a page's import map
 * to the page's modules only, not to module Web Workers (checked on Chromium
 * 156: a worker importing '@poolkit/core/worker' fails to load).
 */
export const SPECIFIERS: Readonly<Record<string, string>> = {
  '@poolkit/core': '/core/dist/index.js',
  '@poolkit/core/worker': '/core/dist/worker.js',
  '@poolkit/core/remote': '/core/dist/remote.js',
  '@poolkit/core/validate': '/core/dist/validate.js',
  '@poolkit/core/emitter': '/core/dist/emitter.js',
  '@poolkit/core/testing': '/core/dist/testing/index.js',
  '@poolkit/web-adapter': '/web-adapter/dist/index.js',
  '@poolkit/web-adapter/worker': '/web-adapter/dist/worker.js',
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
}

/** Rewrites `from '@poolkit/...'` and `import('@poolkit/...')` to served paths. */
export function rewriteSpecifiers(source: string): string {
  return source.replace(/(\bfrom\s*|\bimport\s*\(?\s*)(['"])(@poolkit\/[^'"]+)\2/g, (all, lead: string, quote: string, spec: string) => {
    const path = SPECIFIERS[spec]
    return path === undefined ? all : `${lead}${quote}${path}${quote}`
  })
}

/** Maps a request path to a file: `/pages/*` to the test pages, `/<package>/dist/*` to a package's build. */
function fileOf(pathname: string): string | undefined {
  let decoded: string
  try {
    decoded = decodeURIComponent(pathname)
  } catch {
    return undefined // a malformed escape (`/%E0%A4%A`): a 404, not an uncaught URIError
  }
  const clean = normalize(decoded).replace(/^([/\\])+/, '')
  const [root, ...rest] = clean.split(/[/\\]/)
  if (root === 'pages') return join(pagesDir, ...rest)
  if (root !== undefined && rest[0] === 'dist') return join(packagesDir, root, ...rest)
  return undefined
}

/** A running static server on 127.0.0.1. */
export interface TestServer {
  readonly origin: string
  close(): Promise<void>
}

/** Starts the static server that the browser tests' pages are loaded from, on a free port. */
export async function startServer(): Promise<TestServer> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const file = fileOf(url.pathname)
    if (file === undefined || !(file.startsWith(pagesDir + sep) || file.startsWith(packagesDir + sep))) {
      response.writeHead(404).end('not found')
      return
    }
    readFile(file).then(
      (body) => {
        const type = TYPES[extname(file)] ?? 'application/octet-stream'
        const out = type.startsWith('text/javascript') ? rewriteSpecifiers(body.toString('utf8')) : body
        response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(out)
      },
      () => response.writeHead(404).end('not found'),
    )
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done, fail) => {
        server.closeAllConnections()
        server.close((error) => (error ? fail(error) : done()))
      }),
  }
}
