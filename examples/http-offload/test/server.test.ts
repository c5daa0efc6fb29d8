// The example's server as users run it: built, started with `node dist/main.js` in a child
// process (no vitest event loop keeping it alive), one worker and room for two waiting
// renders, so the test can fill the pool and see it refuse.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { retryAfterSeconds } from '../src/offload.js'
import { render } from '../src/render.js'

const root = fileURLToPath(new URL('..', import.meta.url))

/** About 340 KB of Markdown: tens to hundreds of milliseconds of marked, long enough to hold a worker. */
const HEAVY = Array.from({ length: 3000 }, (_, i) => `## Section ${i}\n\nSome *emphasis*, **strong**, \`code\` and a [link](https://example.com/${i}).\n\n- one\n- two\n\n`).join('')

interface Server {
  child: ChildProcess
  url: string
  stderr: () => string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

let server: Server | undefined

function start(...args: string[]): Promise<Server> {
  const child = spawn(process.execPath, [join(root, 'dist/main.js'), '--port', '0', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c
      const end = out.indexOf('\n')
      if (end >= 0) resolve({ child, url: (JSON.parse(out.slice(0, end)) as { url: string }).url, stderr: () => stderr, exited })
    })
    void exited.then(({ code }) => reject(new Error(`the server exited with code ${code} before it listened: ${stderr}`)))
  })
}

const post = (url: string, markdown: string): Promise<Response> => fetch(`${url}/render`, { method: 'POST', body: markdown, headers: { 'content-type': 'text/markdown' } })

async function health(url: string): Promise<{ status: string; queued: number; running: number }> {
  const res = await fetch(`${url}/health`)
  expect(res.status).toBe(200)
  return (await res.json()) as { status: string; queued: number; running: number }
}

/** Polls /health until `n` renders are in the pool (running or waiting), checking each answer came while none had finished. */
async function untilInPool(url: string, n: number, finished: () => number): Promise<void> {
  for (;;) {
    const h = await health(url)
    expect(finished()).toBe(0)
    if (h.running + h.queued === n) return
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

beforeAll(() => {
  // The test runs the built server, from these sources.
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: root })
})

afterEach(() => {
  if (server !== undefined && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL')
  server = undefined
})

describe('examples/http-offload', () => {
  it('renders Markdown on a worker, answers /health while renders are in flight, and refuses past maxQueue with 503 and Retry-After', async () => {
    server = await start('--workers', '1', '--max-queue', '2')
    const { url } = server

    const small = '# Title\n\nSome *text* with `code`.\n\n| a | b |\n| - | - |\n| 1 | 2 |\n'
    const res = await post(url, small)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(await res.text()).toBe(render(small))

    // One render runs, two wait: the pool is full.
    let finished = 0
    const inFlight = [post(url, HEAVY), post(url, HEAVY), post(url, HEAVY)].map((p) => p.finally(() => finished++))
    await untilInPool(url, 3, () => finished)
    expect(await health(url)).toMatchObject({ status: 'ok', running: 1, queued: 2 })

    const refused = await post(url, small)
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toMatch(/^[1-9]\d*$/)
    await refused.text()
    expect(finished).toBe(0)

    const expected = render(HEAVY)
    for (const r of await Promise.all(inFlight)) {
      expect(r.status).toBe(200)
      expect(await r.text()).toBe(expected)
    }
    expect(await health(url)).toMatchObject({ running: 0, queued: 0 })
    await fetch(`${url}/nowhere`).then((r) => expect(r.status).toBe(404))
  })

  it('on SIGTERM finishes the renders in flight, then exits 0 by itself', async () => {
    server = await start('--workers', '1', '--max-queue', '2')
    const { url, child } = server
    let finished = 0
    const inFlight = [post(url, HEAVY), post(url, HEAVY), post(url, HEAVY)].map((p) => p.finally(() => finished++))
    await untilInPool(url, 3, () => finished)

    child.kill('SIGTERM')
    const expected = render(HEAVY)
    for (const r of await Promise.all(inFlight)) {
      expect(r.status).toBe(200)
      expect(await r.text()).toBe(expected)
    }
    // No process.exit in the server: it exits once its server, pool and workers are gone.
    expect(await server.exited).toEqual({ code: 0, signal: null })
    expect(server.stderr()).toContain('http-offload: closed')
  })

  it('derives Retry-After from the work already accepted: (waiting + running) × mean run time / workers, whole seconds, at least 1', () => {
    expect(retryAfterSeconds(0, 0, Number.NaN, 2)).toBe(1)
    expect(retryAfterSeconds(32, 2, 1.5, 2)).toBe(1)
    expect(retryAfterSeconds(300, 4, 20, 2)).toBe(4)
  })
})
