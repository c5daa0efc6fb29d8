// Fault injection through real node-adapter pools: 50,000 tasks, a seeded 1% of
// them killing their worker, 1% hanging past their timeout, 1% aborted by the
// caller, 2% throwing. Each run happens in a child process (fault-run.ts) that
// reports what it saw; these tests hold it to DESIGN.md's promise: every accepted
// task settles exactly once, as injected, the counters add up, the pool ends
// whole, and nothing outlives close().
import { describe, expect, it } from 'vitest'
import type { RunReport } from '../src/fault-run.js'
import { runScript } from './run-script.js'

const TASKS = 50_000

function faultRun(scenario: string, kind: string, tasks: number): Promise<RunReport> {
  return runScript<RunReport>('fault-run', [scenario, '--kind', kind, '--tasks', String(tasks), '--workers', '4', '--seed', '20261126'], 240_000).then((run) => {
    expect(run.hung, `the run did not exit within 240 s; stderr:\n${run.stderr}`).toBe(false)
    expect(run.code, run.stderr).toBe(0)
    expect(run.report, `no report on stdout; stderr:\n${run.stderr}`).toBeDefined()
    return run.report!
  })
}

/**
 * How far a child-process run may stray from the plan. A child that calls
 * process.exit() can take results it had not yet written to the IPC pipe with
 * it (Node drops writes still queued at exit; threads do not lose them). The
 * pool then fails the first task the child held as if it had been running,
 * though it had finished, and that task is retried (or fails with
 * WorkerExitError on its last attempt); the task that really exited goes back
 * to the queue as not started and exits one more worker. Seen 0 to 2 times in
 * 50,000 tasks here; allowed up to 1 in 5,000.
 */
const lostResultsAllowed = (r: RunReport): number => (r.kind === 'processes' ? Math.ceil(r.tasks / 5_000) : 0)

/** The checks every run must pass, whatever was injected. */
function expectNothingLost(r: RunReport): void {
  // Each task's promise settled (a task that never does makes the run exit 2, naming it: see
  // faultRun), and the pool reported each task settled exactly once.
  expect(r.reportedIds).toBe(r.tasks)
  expect(r.settleReports).toEqual({ 1: r.tasks })
  // Each outcome is the one its fault calls for (on processes, but for results lost with an exiting child).
  const allowed = lostResultsAllowed(r)
  expect(r.mismatchCount, `first mismatches: ${JSON.stringify(r.mismatches)}`).toBeLessThanOrEqual(allowed)
  for (const m of r.mismatches) expect(m.got, `task ${m.i} (${m.injected})`).toBe('failed:exit')
  expect(r.unexpectedRetries.length, JSON.stringify(r.unexpectedRetries)).toBeLessThanOrEqual(allowed)
  for (const u of r.unexpectedRetries) expect(u.error).toMatch(/^WorkerExitError: /)
  // submitted = completed + failed + cancelled + timed out + rejected, in stats() and in the metrics.
  expect(r.counters.submitted).toBe(r.tasks)
  expect(r.unaccounted).toEqual({ counters: 0, metrics: 0 })
  for (const field of ['submitted', 'completed', 'failed', 'cancelled', 'timedOut', 'rejected', 'retried'] as const) expect(r.metrics[field], field).toBe(r.counters[field])
  // close() left no worker, port, timer or listener: the same handles as before the pool (and the process exited by itself).
  expect(r.handlesAfter).toEqual(r.handlesBefore)
}

describe.each(['threads', 'processes'])('fault injection on %s', (kind) => {
  it(`settles each of ${TASKS.toLocaleString('en-US')} tasks exactly once as injected (1% kill, 1% hang, 1% abort, 2% throw), with counters that add up and ${'4'} live workers at the end`, async () => {
    const r = await faultRun('faults', kind, TASKS)
    expectNothingLost(r)
    const n = r.injected
    // Threads: exactly as planned. Processes: as planned but for results lost with an exiting child (see lostResultsAllowed).
    const lost = r.unexpectedRetries.length + r.mismatchCount
    // Roughly the rates asked for (the plan is seeded: the same every run).
    expect(n.kill + n['kill-always']).toBeGreaterThan(TASKS * 0.008)
    expect(n.hang).toBeGreaterThan(TASKS * 0.008)
    expect(n.abort).toBeGreaterThan(TASKS * 0.008)
    expect(n.transient + n.throw).toBeGreaterThan(TASKS * 0.016)
    expect(r.outcomes).toEqual({
      completed: n.ok + n.kill + n.transient - r.mismatchCount,
      'failed:exit': n['kill-always'] + r.mismatchCount,
      'failed:E_INJECTED': n.throw,
      timedOut: n.hang,
      cancelled: n.abort,
    })
    expect(r.counters).toMatchObject({
      completed: n.ok + n.kill + n.transient - r.mismatchCount,
      failed: n['kill-always'] + n.throw + r.mismatchCount,
      timedOut: n.hang,
      cancelled: n.abort,
      rejected: 0,
      // A worker exit and a transient error are retried once; nothing else is.
      retried: n.kill + n['kill-always'] + n.transient + r.unexpectedRetries.length,
    })
    // Every exit was seen as a crash: one per `kill`, two per `kill-always` (both attempts),
    // and on processes one more per task re-queued after its results were lost.
    expect(r.workerCrashes).toBeGreaterThanOrEqual(n.kill + 2 * n['kill-always'])
    expect(r.workerCrashes).toBeLessThanOrEqual(n.kill + 2 * n['kill-always'] + lost)
    // Replacements for every crash, timeout and abort that stopped a worker.
    expect(r.workerStarts).toBeGreaterThan(r.workerCrashes)
    expect(r.workersAtEnd).toEqual({ total: 4, starting: 0, configured: 4 })
  })

  it('closes in the middle of the load with every task finished or listed in the report', async () => {
    const r = await faultRun('close', kind, 10_000)
    expectNothingLost(r)
    const c = r.close!
    expect(c.settledBefore).toBeGreaterThan(0)
    // Settled before the close, settled while it waited, or listed: nothing else.
    expect(c.settledBefore + c.report.settled + c.report.unstarted + c.report.aborted).toBe(r.tasks)
    expect(c.closedErrors).toBe(c.report.unstarted + c.report.aborted)
    expect(c.duplicateIds).toBe(0)
    expect(r.workersAtEnd.total).toBe(0)
  })

  it('destroys in the middle of the load with every task finished or listed in the report', async () => {
    const r = await faultRun('destroy', kind, 10_000)
    expectNothingLost(r)
    const c = r.close!
    expect(c.settledBefore + c.report.settled + c.report.unstarted + c.report.aborted).toBe(r.tasks)
    expect(c.report.unstarted + c.report.aborted).toBeGreaterThan(0)
    expect(c.report.timedOut).toBe(true)
    expect(c.closedErrors).toBe(c.report.unstarted + c.report.aborted)
    expect(c.duplicateIds).toBe(0)
    expect(r.workersAtEnd.total).toBe(0)
  })
})

describe('fault injection with a circuit breaker', () => {
  it('opens the circuit of a failing key while the other keys go on as injected', async () => {
    const r = await faultRun('breaker', 'threads', 20_000)
    expectNothingLost(r)
    // Every task of k0 throws: it fails, or is refused once its circuit is open.
    const refused = r.outcomes['rejected:circuit-open'] ?? 0
    expect(refused).toBeGreaterThan(0)
    expect(r.counters.rejected).toBe(refused)
    expect(r.metrics.rejectedBy.circuitOpen).toBe(refused)
    // The other seven keys completed as their faults say (mismatches would list them); most of their tasks succeeded.
    expect(r.outcomes.completed).toBeGreaterThan(r.tasks * 0.8)
    expect(r.workersAtEnd).toEqual({ total: 4, starting: 0, configured: 4 })
  })
})
