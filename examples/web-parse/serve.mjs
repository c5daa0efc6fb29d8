// A tiny static server for the web-parse example: `node examples/web-parse/serve.mjs [port]`.
// It serves this folder at `/`, the built packages at `/core/` and `/web-adapter/`,
// web-tree-sitter at `/vendor/web-tree-sitter/` and the grammars' WebAssembly at
// `/grammars/`, and rewrites the bare imports of served .js files (`from
// 'web-tree-sitter'`) to those paths: import maps do not reach into module Web
// Workers, so the worker files need their imports resolved by the server.
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { extname, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { GRAMMAR_PACKAGES, grammarPath, webTreeSitterDir } from './count.mjs'

const here = fileURLToPath(new URL('.', import.meta.url))
const packages = fileURLToPath(new URL('../../packages/', import.meta.url))

/** URL prefix → folder on disk; the first prefix that matches wins (`/grammars/` is answered before these). */
export const ROUTES = [
  ['/core/', join(packages, 'core', 'dist')],
  ['/web-adapter/', join(packages, 'web-adapter', 'dist')],
  ['/vendor/web-tree-sitter/', webTreeSitterDir()],
  ['/', here],
]

/** Bare specifier → the URL the server serves it at. */
export const SPECIFIERS = {
  '@poolkit/core': '/core/index.js',
  '@poolkit/core/worker': '/core/worker.js',
  '@poolkit/core/remote': '/core/remote.js',
  '@poolkit/core/validate': '/core/validate.js',
  '@poolkit/core/emitter': '/core/emitter.js',
  '@poolkit/web-adapter': '/web-adapter/index.js',
  '@poolkit/web-adapter/worker': '/web-adapter/worker.js',
  'web-tree-sitter': '/vendor/web-tree-sitter/web-tree-sitter.js',
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  // WebAssembly.instantiateStreaming (web-tree-sitter's own .wasm) needs this type.
  '.wasm': 'application/wasm',
}

/** Rewrites the bare specifiers named in `specifiers` in static imports, re-exports and dynamic imports; every other specifier is left alone. */
export function rewriteBareImports(source, specifiers = SPECIFIERS) {
  return source.replace(/(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"\n]+)\2/g, (whole, head, quote, specifier) =>
    Object.hasOwn(specifiers, specifier) ? `${head}${quote}${specifiers[specifier]}${quote}` : whole,
  )
}

/** The file a request path maps to, or undefined when it is outside every route. */
function fileFor(pathname) {
  if (pathname.startsWith('/grammars/')) {
    const name = decodeURIComponent(pathname.slice('/grammars/'.length))
    return Object.hasOwn(GRAMMAR_PACKAGES, name) ? grammarPath(name) : undefined
  }
  for (const [prefix, folder] of ROUTES) {
    if (!pathname.startsWith(prefix)) continue
    const file = resolve(folder, decodeURIComponent(pathname.slice(prefix.length)) || 'index.html')
    // No `..` out of the route's folder.
    return file.startsWith(folder.endsWith(sep) ? folder : folder + sep) ? file : undefined
  }
  return undefined
}

/**
 * Starts the server. `port: 0` picks a free port (the tests use it).
 * @returns the base URL and a `close()` that resolves when the server has stopped
 */
export async function serve({ port = 8080, host = '127.0.0.1' } = {}) {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`options.port must be an integer from 0 to 65535, got ${port}`)
  const server = createServer(async (request, response) => {
    try {
      // Inside the try: a malformed escape makes decodeURIComponent throw, and a
      // rejection of this handler would be unhandled (it would end the process).
      const file = fileFor(new URL(request.url ?? '/', 'http://localhost').pathname)
      if (file === undefined || request.method !== 'GET') {
        response.writeHead(file === undefined ? 404 : 405).end()
        return
      }
      let body = await readFile(file)
      if (extname(file) === '.js' || extname(file) === '.mjs') body = rewriteBareImports(body.toString('utf8'))
      response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body)
    } catch {
      response.writeHead(404).end()
    }
  })
  await new Promise((done, fail) => {
    server.once('error', fail)
    server.listen(port, host, done)
  })
  return {
    url: `http://${host}:${server.address().port}/`,
    close: () =>
      new Promise((done) => {
        server.close(() => done())
        server.closeAllConnections()
      }),
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const [prefix, folder] of ROUTES.slice(0, 2)) {
    if (!existsSync(join(folder, 'index.js'))) {
      console.error(`${folder} has no build (it serves ${prefix}); first run: pnpm turbo run build --filter @poolkit/core --filter @poolkit/web-adapter`)
      process.exit(1)
    }
  }
  const { url } = await serve({ port: process.argv[2] === undefined ? 8080 : Number(process.argv[2]) })
  console.log(`web-parse example at ${url} (Ctrl+C stops it)`)
}
