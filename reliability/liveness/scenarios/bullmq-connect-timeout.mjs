// @poolkit/bullmq with no Redis at all (should pass today): consume() and a
// remote run() against a port nothing listens on must reject with
// BullmqConnectionError after connectTimeout (500 ms), rather than retry for
// ever; then everything closes and the process exits by itself.
import { createServer } from 'node:net'
import { createPool } from '@poolkit/core'
import { consume, createRemotePool } from '@poolkit/bullmq'
import { mark, track } from '../harness.mjs'

// A port that was free a moment ago.
const port = await new Promise((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address()
    server.close(() => resolve(port))
  })
})
const connection = { host: '127.0.0.1', port }

const pool = createPool({ handler: (n) => n * 2 })
await track('consume', consume('liveness', { connection, pool, connectTimeout: 500 }))
const remote = createRemotePool({ queueName: 'liveness', connection, connectTimeout: 500 })
await track('remote run', remote.run(1))
await track('remote.close', remote.close())
await track('pool.close', pool.close())
mark('closed')
