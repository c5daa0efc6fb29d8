// Waits issue 23 added around an open circuit, in a plain process:
// - retry.retryCircuitOpen: two failures open a circuit ('reject') for 200 ms;
//   the task it refuses meanwhile waits on the pool's timer until the circuit
//   lets a probe through, and succeeds then.
// - a probe cancelled by its caller (whenOpen 'hold'): a failure opens the
//   circuit for 100 ms; the held task with the most time left probes, hangs
//   until its caller's signal aborts at 150 ms, and keeps its place until
//   cancelledProbeMs (150 ms) after it started; then the circuit opens again
//   for 100 ms, and the task held behind it probes and succeeds (about 350 ms).
// Then the process must exit by itself.
import { createPool } from '@poolkit/core'
import { createCircuitBreaker } from '@poolkit/breaker'
import { mark, note, track } from '../harness.mjs'

let calls = 0
const rejecting = createPool({
  handler: async () => {
    if (++calls <= 2) throw new Error(`call ${calls}: 503 from the provider`)
    return `call ${calls}`
  },
  concurrency: 1,
  breaker: createCircuitBreaker({ failureThreshold: 2, openMs: 200, whenOpen: 'reject' }),
  retry: { attempts: 2, retryIf: () => false, retryCircuitOpen: true },
})
await track('failing 1', rejecting.run(1)).catch(() => {})
await track('failing 2', rejecting.run(2)).catch(() => {})
await track('refused, retried when the circuit half-opens', rejecting.run(3))
note('calls of the rejecting provider', calls)
await track('close rejecting', rejecting.close())

const circuit = createCircuitBreaker({ failureThreshold: 1, openMs: 100, cancelledProbeMs: 150, whenOpen: 'hold' })
const reasons = []
for (const event of ['open', 'half-open', 'close']) circuit.on(event, (e) => reasons.push(`${e.to} (${e.reason})`))
const holding = createPool({
  // 'fail' fails at once, 'hang' waits for its signal, anything else answers.
  handler: (input, { signal }) => {
    if (input === 'fail') return Promise.reject(new Error('503 from the provider'))
    if (input === 'hang') return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }))
    return Promise.resolve(`done ${input}`)
  },
  concurrency: 2,
  breaker: circuit,
})
await track('opener', holding.run('fail')).catch(() => {})
// Both held while the circuit is open; the hanging one has more time left, so it probes first.
const cancelled = track('probe cancelled by its caller', holding.run('hang', { deadlineMs: 10_000, signal: AbortSignal.timeout(150) }))
const later = track('held behind the cancelled probe', holding.run('later', { deadlineMs: 5_000 }))
await cancelled.catch(() => {})
await later
note('circuit', reasons)
await track('close holding', holding.close())
mark('closed')
