// A circuit that opens and half-opens again on its own (should pass today):
// the first call fails and opens it for 200 ms; the tasks held meanwhile run
// once a probe succeeds. The same through breaker.execute() with whenOpen
// 'hold', which waits on a timer of its own.
import { createPool } from '@poolkit/core'
import { createCircuitBreaker } from '@poolkit/breaker'
import { mark, track } from '../harness.mjs'

const options = { failureThreshold: 1, openMs: 200, whenOpen: 'hold' }
let calls = 0
const flaky = async (input) => {
  if (++calls === 1) throw new Error('503 from the provider')
  return `done ${input}`
}

const pool = createPool({ handler: flaky, concurrency: 4, breaker: createCircuitBreaker({ ...options, keyed: true }) })
await track('pool opener', pool.run('open', { key: 'provider' }))
const held = Array.from({ length: 5 }, (_, i) => track(`pool held#${i}`, pool.run(i, { key: 'provider' })))
await Promise.all(held)
await track('close', pool.close())

const breaker = createCircuitBreaker(options)
await track(
  'execute opener',
  breaker.execute('provider', () => Promise.reject(new Error('503 from the provider'))),
)
await track(
  'execute held',
  breaker.execute('provider', async () => 'done'),
)
mark('closed')
