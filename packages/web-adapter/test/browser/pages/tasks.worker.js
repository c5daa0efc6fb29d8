// Task functions for the browser tests.
import { expose, transfer } from '@poolkit/web-adapter/worker'

// Tells one worker from its replacement.
const workerId = crypto.randomUUID()
// The last buffer a task moved back, to check it left this worker.
let sentBack

/** About `ms` of hashing arithmetic (FNV-1a over a counter), returning the hash. */
function burn(ms, seed) {
  const end = performance.now() + ms
  let hash = 0x811c9dc5 ^ seed
  let i = 0
  while (performance.now() < end) {
    for (let k = 0; k < 256; k++) {
      hash ^= i++ & 0xff
      hash = Math.imul(hash, 0x01000193)
    }
  }
  return hash >>> 0
}

expose({
  whoami: () => workerId,
  echo: (input) => input,
  /** Sums the bytes it received, and reports the length it got. */
  sum: (buffer) => ({ byteLength: buffer.byteLength, sum: new Uint8Array(buffer).reduce((a, b) => a + b, 0) }),
  /** Makes a buffer of `n` bytes 0..n-1 and moves it back. */
  makeBuffer: (n) => {
    const bytes = Uint8Array.from({ length: n }, (_, i) => i)
    sentBack = bytes.buffer
    return transfer(bytes.buffer, [bytes.buffer])
  },
  /** Whether the buffer `makeBuffer` returned is detached here (moved, not copied). */
  sentBackDetached: () => sentBack !== undefined && sentBack.byteLength === 0,
  /** An uncaught error thrown from a timer while the task is still running. */
  crashLater: () => {
    setTimeout(() => {
      throw new Error('uncaught in the worker')
    })
    return new Promise(() => {})
  },
  /** Spins synchronously for `ms`: only terminating the worker stops it. */
  spin: (ms) => burn(ms, 0),
  /** A CPU task of about 2 ms. */
  work: (i) => burn(2, i),
})
