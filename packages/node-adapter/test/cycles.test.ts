import { describe, expect, it } from 'vitest'
import { runScript } from './script.js'

// Each runs in a plain Node child process with a timeout, so a close() that hangs
// fails the test instead of hanging the suite. A cycle of 4 threads takes about
// 100 ms on a 2-core machine (1,000 cycles: 104 s alone, measured); processes
// start slower, so they run fewer cycles.
describe('create-run-close cycles', { timeout: 300_000 }, () => {
  it('completes 1,000 create-run-close cycles of a 4-thread pool (close and destroy in turn), none hangs', () => {
    const result = runScript(['threads', 'cycles', '1000', '4'], 280_000)
    expect(result.timedOut, result.stderr).toBe(false)
    expect(result.status, result.stderr).toBe(0)
    expect(result.output.done).toBe(1000)
    expect(result.output.handlesAfter).toEqual(result.output.handlesBefore)
  })

  it('completes 10 create-run-close cycles of a 4-process pool (close and destroy in turn), none hangs', () => {
    const result = runScript(['processes', 'cycles', '10', '4'], 30_000)
    expect(result.timedOut, result.stderr).toBe(false)
    expect(result.status, result.stderr).toBe(0)
    expect(result.output.done).toBe(10)
    expect(result.output.handlesAfter).toEqual(result.output.handlesBefore)
  })
})
