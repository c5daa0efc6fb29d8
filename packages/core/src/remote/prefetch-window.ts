import type { RemoteWorkerOptions } from './channel.js'

/**
 * How many tasks a worker is sent ahead of the ones it runs: about
 * `prefetchMs` of work, sized from how long its tasks take, at least 1 and at
 * most `prefetch` (always `prefetch` when `prefetchMs` is `Infinity`).
 */
export class PrefetchWindow {
  /** Tasks sent ahead of the ones the worker runs now. */
  size: number
  /** The worker's mean time per task (ms), smoothed over its result frames; NaN until the first. */
  private taskMs = Number.NaN

  constructor(private readonly options: RemoteWorkerOptions) {
    // A fixed window (prefetchMs Infinity) starts full; an adaptive one starts
    // at 1 and opens once the worker's first results tell how long tasks take.
    this.size = options.prefetchMs === Infinity ? options.prefetch : Math.min(1, options.prefetch)
  }

  /** Tasks the pool may hand the worker at once: those it runs and the window. */
  get capacity(): number {
    return this.options.concurrentTasksPerWorker + this.size
  }

  /** When the worker posts its results without waiting for the end of a batch: half way through what it holds. */
  get flushEvery(): number {
    return Math.max(1, Math.ceil(this.capacity / 2))
  }

  /**
   * Sizes the window from what `count` tasks took in the worker (`took` ms,
   * start to end). Returns whether the size changed.
   */
  adapt(took: number, count: number): boolean {
    const { prefetch, prefetchMs, concurrentTasksPerWorker: k } = this.options
    if (prefetchMs === Infinity || prefetch <= 1) return false
    // Tasks running side by side (async ones) each take a slot for their whole time.
    const perTask = took / count / k
    this.taskMs = Number.isNaN(this.taskMs) ? perTask : this.taskMs + (perTask - this.taskMs) * 0.25
    const wanted = this.taskMs > 0 ? Math.round(prefetchMs / this.taskMs) : prefetch
    const size = wanted >= prefetch ? prefetch : wanted > 1 ? wanted : 1
    // A change under a quarter is noise: keep the window steady (but reach the bounds).
    if (size === this.size) return false
    if (size !== prefetch && size !== 1 && Math.abs(size - this.size) * 4 < this.size) return false
    this.size = size
    return true
  }
}
