// Starts a real redis-server for a test file: a free loopback port, no persistence,
// stopped in afterAll (and killed if the test process exits first).
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { afterAll, afterEach, beforeAll } from 'vitest'

export interface RedisServer {
  readonly port: number
  /** BullMQ connection options for this server. */
  readonly connection: { readonly host: string; readonly port: number }
  stop(): Promise<void>
}

const INSTALL_HINT =
  'The @poolkit/bullmq tests run against a real Redis server and could not find `redis-server`. ' +
  'Install it with `apt-get install redis-server` (Debian/Ubuntu; .ci/run does this) or `brew install redis` (macOS), ' +
  'or set REDIS_SERVER to the path of the binary.'

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

function launch(port: number): Promise<ChildProcess> {
  const binary = process.env.REDIS_SERVER ?? 'redis-server'
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'notice'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return new Promise((resolve, reject) => {
    let output = ''
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) {
        child.stdout!.off('data', onData)
        child.off('exit', onExit)
        child.stdout!.resume()
        child.stderr!.resume()
        resolve(child)
      }
    }
    const onExit = (code: number | null): void => reject(new Error(`redis-server exited with code ${code} before it was ready:\n${output}`))
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', onExit)
    child.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT' ? new Error(INSTALL_HINT, { cause: error }) : error))
  })
}

export async function startRedisServer(): Promise<RedisServer> {
  let child: ChildProcess | undefined
  let port = 0
  // Another process may take the free port between the probe and the start: try a few.
  for (let attempt = 1; child === undefined; attempt++) {
    port = await freePort()
    try {
      child = await launch(port)
    } catch (error) {
      if (attempt >= 3 || (error instanceof Error && error.message === INSTALL_HINT)) throw error
    }
  }
  const server = child
  const killOnExit = (): void => {
    server.kill('SIGKILL')
  }
  process.once('exit', killOnExit)
  return {
    port,
    connection: { host: '127.0.0.1', port },
    stop: async () => {
      process.off('exit', killOnExit)
      if (server.exitCode !== null || server.signalCode !== null) return
      await new Promise<void>((resolve) => {
        server.once('exit', () => resolve())
        server.kill('SIGTERM')
      })
    },
  }
}

/** What {@link useRedisServer} gives a test file. */
export interface RedisForTests {
  /** The file's server, started before its first test (read it inside tests and hooks only). */
  readonly redis: RedisServer
  /** Things a test opened; each is closed after that test, in reverse order, errors ignored. */
  readonly cleanup: { push(...closes: (() => Promise<unknown>)[]): void }
}

/**
 * Starts one redis-server for the calling test file (in `beforeAll`), stops it
 * after the file (`afterAll`), and closes what each test registered in
 * `cleanup` after that test.
 */
export function useRedisServer(): RedisForTests {
  let server: RedisServer | undefined
  let opened: (() => Promise<unknown>)[] = []
  beforeAll(async () => {
    server = await startRedisServer()
  })
  afterEach(async () => {
    for (const close of opened.reverse()) await close().catch(() => {})
    opened = []
  })
  afterAll(async () => {
    await server?.stop()
  })
  return {
    redis: {
      get port() {
        return server!.port
      },
      get connection() {
        return server!.connection
      },
      stop: () => server!.stop(),
    },
    cleanup: { push: (...closes) => void opened.push(...closes) },
  }
}
