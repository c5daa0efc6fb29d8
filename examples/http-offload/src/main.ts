#!/usr/bin/env node
// The http-offload example: a server whose POST /render turns Markdown into HTML on worker threads.
//   node dist/main.js [--mode poolkit|piscina|inline] [--port 3000] [--workers N] [--max-queue N] [--prefetch N]
// Prints one JSON line once it listens ({"url": ..., "mode": ...}); SIGTERM or SIGINT closes it
// gracefully (the requests in flight finish, then the pool closes) and the process exits on its own.
import { parseArgs } from 'node:util'
import { MODES, type Mode } from './offload.js'
import { startServer } from './server.js'

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'poolkit' },
    port: { type: 'string', default: '3000' },
    host: { type: 'string', default: '127.0.0.1' },
    workers: { type: 'string' },
    'max-queue': { type: 'string' },
    prefetch: { type: 'string' },
  },
})

function integer(name: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min) {
    console.error(`http-offload: --${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`)
    process.exit(2)
  }
  return n
}

if (!(MODES as readonly string[]).includes(values.mode)) {
  console.error(`http-offload: --mode must be one of ${MODES.join(', ')}, got ${JSON.stringify(values.mode)}`)
  process.exit(2)
}
const mode = values.mode as Mode
const workers = integer('workers', values.workers, 1)
const maxQueue = integer('max-queue', values['max-queue'], 0)
const prefetch = integer('prefetch', values.prefetch, 0)
const server = await startServer({ mode, port: integer('port', values.port, 0), host: values.host, workers, maxQueue, prefetch })
console.log(JSON.stringify({ url: server.url, mode, workers: workers ?? null, maxQueue: maxQueue ?? null, prefetch: prefetch ?? null, pid: process.pid }))

let signalled = false
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    // A second signal does not wait any longer.
    if (signalled) process.exit(1)
    signalled = true
    console.error(`http-offload: ${signal}, closing (requests in flight finish first)`)
    server.close().then(
      () => console.error('http-offload: closed'),
      (error: unknown) => {
        console.error(error)
        process.exitCode = 1
      },
    )
  })
}
