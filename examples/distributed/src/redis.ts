// A local redis-server for the demo, when REDIS_URL is not set: a free loopback port,
// no persistence, stopped when the demo ends.
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'

export interface LocalRedis {
  readonly url: string
  stop(): Promise<void>
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no free port'))))
    })
  })
}

export async function startRedis(): Promise<LocalRedis> {
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const kill = (): void => {
    child.kill('SIGKILL')
  }
  process.once('exit', kill)
  await new Promise<void>((resolve, reject) => {
    let out = ''
    const onData = (chunk: Buffer): void => {
      out += chunk.toString()
      if (out.includes('Ready to accept connections')) {
        child.stdout.off('data', onData).resume()
        child.stderr.resume()
        resolve()
      }
    }
    child.stdout.on('data', onData)
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new Error('redis-server is not installed: set REDIS_URL, or install it (apt-get install redis-server, brew install redis)') : error),
    )
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}: ${out}`)))
  })
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        process.off('exit', kill)
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}
