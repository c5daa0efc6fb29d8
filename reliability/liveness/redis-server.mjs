// A redis-server of the scenario's own, on a free loopback port (as
// packages/bullmq/test/helpers/redis-server.ts starts one for the bullmq tests).
// With `persist`, it keeps an append-only file in a temporary folder, so a
// restart on the same port finds the queue as it was.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

function launch(port, dir) {
  const persistence = dir === undefined ? ['--save', '', '--appendonly', 'no'] : ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir]
  const child = spawn(process.env.REDIS_SERVER ?? 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...persistence, '--loglevel', 'notice'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return new Promise((resolve, reject) => {
    let output = ''
    const onData = (chunk) => {
      output += chunk
      if (!output.includes('Ready to accept connections')) return
      child.stdout.off('data', onData).resume()
      child.stderr.off('data', onData).resume()
      child.off('exit', onExit)
      resolve(child)
    }
    const onExit = (code) => reject(new Error(`redis-server exited with code ${code} before it was ready:\n${output}`))
    child.stdout.setEncoding('utf8').on('data', onData)
    child.stderr.setEncoding('utf8').on('data', onData)
    child.once('exit', onExit)
    child.once('error', reject)
  })
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return
  await new Promise((resolve) => {
    child.once('exit', resolve)
    child.kill('SIGTERM')
  })
}

/** Starts a redis-server; `stop()` ends it (and removes its folder), `restart()` starts it again on the same port. */
export async function startRedis({ persist = false } = {}) {
  const dir = persist ? mkdtempSync(join(tmpdir(), 'poolkit-liveness-redis-')) : undefined
  const port = await freePort()
  let child = await launch(port, dir)
  return {
    port,
    connection: { host: '127.0.0.1', port },
    async kill() {
      await stopChild(child)
    },
    async start() {
      child = await launch(port, dir)
    },
    async stop() {
      await stopChild(child)
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
    },
  }
}
