import type { SimulationReport, SimulationSample } from '../simulate.js'

/** The value at share `p` of an ascending array (nearest rank); 0 when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length
  if (n === 0) return 0
  return sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]!
}

/**
 * What a simulation measures as it goes: worker-time (integrated exactly at each
 * change of the worker or running count), per-window counts and waits, and the
 * samples taken at the end of each window.
 */
export class SimRecorder {
  /** Live workers, from the pool's worker events. */
  workers = 0
  /** Tasks in the handler now. */
  running = 0
  private lastAt = 0
  private workerMs = 0
  private idleMs = 0
  private completed = 0
  private failed = 0
  private readonly waits: number[] = []
  private windowStart = 0
  private windowArrived = 0
  private windowCompleted = 0
  private windowWaits: number[] = []
  private readonly samples: SimulationSample[] = []
  scalingChanges = 0

  /** Adds worker-time up to `now`; call before any count changes. */
  private integrate(now: number): void {
    const dt = now - this.lastAt
    if (dt > 0) {
      this.workerMs += this.workers * dt
      // A retiring busy worker still counts, so idle never goes below zero.
      if (this.workers > this.running) this.idleMs += (this.workers - this.running) * dt
      this.lastAt = now
    }
  }

  workerStarted(now: number): void {
    this.integrate(now)
    this.workers++
  }

  workerExited(now: number): void {
    this.integrate(now)
    this.workers--
  }

  arrived(): void {
    this.windowArrived++
  }

  taskStarted(now: number, waited: number): void {
    this.integrate(now)
    this.running++
    this.waits.push(waited)
    this.windowWaits.push(waited)
  }

  taskEnded(now: number, ok: boolean): void {
    this.integrate(now)
    this.running--
    this.windowCompleted++
    if (ok) this.completed++
    else this.failed++
  }

  /** Closes the window ending at `now` with the pool's counts read then. */
  sample(now: number, busy: number, queued: number): void {
    this.integrate(now)
    const waits = this.windowWaits.sort((a, b) => a - b)
    const seconds = (now - this.windowStart) / 1000
    this.samples.push({
      atMs: now,
      arrived: this.windowArrived,
      completed: this.windowCompleted,
      throughput: seconds > 0 ? this.windowCompleted / seconds : 0,
      workers: this.workers,
      busy,
      queued,
      waitP50: percentile(waits, 0.5),
      waitP95: percentile(waits, 0.95),
      waitP99: percentile(waits, 0.99),
    })
    this.windowStart = now
    this.windowArrived = 0
    this.windowCompleted = 0
    this.windowWaits = []
  }

  report(now: number): SimulationReport {
    this.integrate(now)
    const waits = Float64Array.from(this.waits).sort()
    return {
      samples: this.samples,
      completed: this.completed,
      failed: this.failed,
      wastedWorkerSeconds: this.idleMs / 1000,
      wait: {
        p50: percentile(waits, 0.5),
        p95: percentile(waits, 0.95),
        p99: percentile(waits, 0.99),
        max: waits.length === 0 ? 0 : waits[waits.length - 1]!,
      },
      meanWorkers: now > 0 ? this.workerMs / now : this.workers,
      scalingChanges: this.scalingChanges,
    }
  }
}
