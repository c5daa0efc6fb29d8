// @poolkit/bullmq with no Redis at all (should pass today): consume() and a
// remote run() against a port nothing listens on must reject with
// BullmqConnectionError after connectTimeout (500 ms), rather than retry for
// ever; then everything closes and the process exits by itself.
import { createServer } from 'node:net'
import { createPool } from '@poolkit/core'
import { consume, createQueueMetrics, createRemotePool } from '@poolkit/bullmq'
import { mark, note, track } from '../harness.mjs'

// A port that was free a moment ago.
const port = await new Promise((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address()
    server.close(() => resolve(port))
  })
})
const connection = { host: '127.0.0.1', port }

// Once a BullmqConnectionError is out, no timer of ours or the clients' may be left (the README says so).
const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length

const pool = createPool({ handler: (n) => n * 2 })
await track('consume', consume('liveness', { connection, pool, connectTimeout: 500 }))
note('timersAfterConsume', timers())
const remote = createRemotePool({ queueName: 'liveness', connection, connectTimeout: 500 })
await track('remote run', remote.run(1))
note('timersAfterRemoteRun', timers())
const metrics = createQueueMetrics('liveness', { connection, connectTimeout: 500 })
await track('metrics.ready', metrics.ready())
note('timersAfterMetrics', timers())
await track('metrics.close', metrics.close())
await track('remote.close', remote.close())
await track('pool.close', pool.close())
mark('closed')
