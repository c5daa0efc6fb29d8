import type { PoolSnapshot, WorkerCounts } from '../contracts/snapshot.js'

/** What the pool knows at the moment a scaler asks (its gauges); the meter adds the rates. */
export interface PoolGauges {
  readonly workers: WorkerCounts
  readonly targetWorkers: number
  readonly tasksPerWorker: number
  readonly runsPerWorker: number
  readonly queued: number
  readonly running: number
  /** Task slots on ready workers. */
  readonly capacity: number
  readonly eventLoopUtilization: number | undefined
  readonly idleSince: readonly number[]
}

/**
 * Arrivals, completions, errors, waits, run times and busy slot-time since the
 * last snapshot: what a scaler needs. Only pools with a scaler keep one, so
 * fixed-size pools pay nothing for it.
 */
export class LoadMeter {
  private submitted = 0
  private started = 0
  private finished = 0
  private errors = 0
  private waitMs = 0
  private runMs = 0
  /** Busy task slots integrated over time (slot-ms). */
  private busy = 0
  private busySlots = 0
  private busySince: number
  private since: number

  constructor(now: number) {
    this.busySince = now
    this.since = now
  }

  onSubmitted(): void {
    this.submitted++
  }

  /**
   * A slot was taken (`+1`) or given back (`-1`) at `now`. Slots held by an
   * attempt that settled early (timed out) but still runs count as busy.
   */
  onSlot(now: number, delta: 1 | -1): void {
    this.integrate(now)
    this.busySlots += delta
  }

  private integrate(now: number): void {
    this.busy += this.busySlots * (now - this.busySince)
    this.busySince = now
  }

  onStarted(waited: number): void {
    this.started++
    this.waitMs += waited
  }

  onFinished(ran: number): void {
    this.finished++
    this.runMs += ran
  }

  onError(): void {
    this.errors++
  }

  /** The snapshot since the previous one; starts a new window. */
  take(now: number, gauges: PoolGauges): PoolSnapshot {
    this.integrate(now)
    const interval = now - this.since
    const seconds = interval / 1000
    const capacity = Math.max(1, gauges.capacity)
    const snapshot: PoolSnapshot = {
      now,
      intervalMs: interval,
      workers: gauges.workers,
      targetWorkers: gauges.targetWorkers,
      tasksPerWorker: gauges.tasksPerWorker,
      runsPerWorker: gauges.runsPerWorker,
      queued: gauges.queued,
      running: gauges.running,
      arrivalRate: seconds > 0 ? this.submitted / seconds : 0,
      completionRate: seconds > 0 ? this.finished / seconds : 0,
      errorRate: this.finished > 0 ? Math.min(1, this.errors / this.finished) : 0,
      meanWaitMs: this.started > 0 ? this.waitMs / this.started : 0,
      meanRunMs: this.finished > 0 ? this.runMs / this.finished : 0,
      utilization: interval > 0 ? Math.min(1, this.busy / (interval * capacity)) : gauges.running > 0 ? 1 : 0,
      eventLoopUtilization: gauges.eventLoopUtilization,
      idleSince: gauges.idleSince,
    }
    this.since = now
    this.busy = 0
    this.submitted = this.started = this.finished = this.errors = 0
    this.waitMs = this.runMs = 0
    return snapshot
  }
}
