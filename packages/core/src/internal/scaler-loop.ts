// Sizing a pool that has a Scaler: ask it for a worker count every `intervalMs`
// (on an unref'd timer), when tasks wait with no free worker (`onPressure`), and
// start a worker at once when a task waits in a pool scaled down to none.
import type { TimerHandle } from '../clock.js'
import type { Scaler } from '../contracts/scaler.js'
import type { PoolSnapshot } from '../contracts/snapshot.js'
import type { LoadMeter } from './load-meter.js'
import type { PoolCore } from './pool-core.js'
import * as check from './validate.js'

/** A pool's scaler and its timer. One per pool with a scaler. */
export class ScalerLoop<I, O> {
  private timer: TimerHandle | undefined = undefined

  constructor(
    private readonly pool: PoolCore<I, O>,
    private readonly scaler: Scaler,
    private readonly meter: LoadMeter,
    private readonly minWorkers: number,
    private readonly maxWorkers: number,
  ) {}

  /** Starts the periodic tick (none for `intervalMs` 0 or Infinity). */
  start(): void {
    const interval = this.scaler.intervalMs ?? 1000
    if (interval === 0 || interval === Infinity) return
    const clock = this.pool.clock
    const tick = (): void => {
      this.timer = undefined
      if (this.pool.lifecycle !== 'open') return
      this.evaluate()
      this.timer = clock.setTimeout(tick, interval)
      clock.unref?.(this.timer)
    }
    this.timer = clock.setTimeout(tick, interval)
    clock.unref?.(this.timer)
  }

  /** Stops the tick (the pool is closing). */
  stop(): void {
    if (this.timer === undefined) return
    this.pool.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  /** `workers` within the scaler's min and max (for resize()). */
  clamp(workers: number): number {
    return Math.max(this.minWorkers, Math.min(this.maxWorkers, workers))
  }

  /** A task was queued and no worker is free. */
  onQueued(): void {
    if (this.pool.workers.target === 0) this.growFromZero()
    else if (this.scaler.onPressure === true) this.evaluate()
  }

  /**
   * A task waits and the pool has no worker (a scaler at min 0): start one now.
   * The scaler's tick does not keep the process alive, and the task cannot wait for it.
   */
  private growFromZero(): void {
    this.evaluate()
    const pool = this.pool
    if (pool.workers.target > 0 || pool.lifecycle === 'closed') return
    pool.workers.resize(Math.min(this.maxWorkers, Math.max(1, this.minWorkers)))
  }

  private evaluate(): void {
    const pool = this.pool
    if (pool.lifecycle !== 'open') return
    const wanted = pool.notifier.guard(() => this.scaler.desired(this.snapshot()))
    if (typeof wanted !== 'number' || Number.isNaN(wanted)) {
      if (wanted !== undefined) pool.notifier.error(new TypeError(`options.scaler.desired() must return a number, got ${check.describe(wanted)}`))
      return
    }
    let next = this.clamp(Math.round(wanted))
    // Never none while tasks wait: nothing would bring a worker back but the next tick.
    if (next === 0 && pool.queue.size > 0) next = 1
    if (next !== pool.workers.target) pool.workers.resize(next)
  }

  private snapshot(): PoolSnapshot {
    const pool = this.pool
    const workers = pool.workers
    const eventLoopUtilization = workers.eventLoopUtilization()
    return this.meter.take(pool.clock.now(), {
      workers: workers.counts(),
      targetWorkers: workers.target,
      tasksPerWorker: workers.tasksPerWorker,
      runsPerWorker: pool.runsPerWorker,
      queued: pool.queue.size,
      running: pool.running,
      capacity: workers.capacity(),
      eventLoopUtilization,
      idleSince: workers.idleSinces(),
    })
  }
}
