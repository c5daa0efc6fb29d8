import type { RemoteWorkerOptions } from './channel.js'

/**
 * The most work (ms) a window grows to, to cover a main side that is slow to
 * answer (unless `prefetchMs` asks for more).
 */
export const LATE_WINDOW_MS = 50

/**
 * How many tasks a worker is sent ahead of the ones it runs: about
 * `prefetchMs` of work, sized from how long its tasks take, at least 1 and at
 * most `prefetch` (always `prefetch` when `prefetchMs` is `Infinity`).
 *
 * The worker posts its results half way through what it holds, so the other
 * half must last until the main side has read them and sent more. When the
 * main side is slow to read (its event loop is busy with its own work, or the
 * machine has more runnable threads than cores), that half runs out and the
 * worker waits. So the window also covers twice the main side's measured delay
 * in reading a frame, up to {@link LATE_WINDOW_MS}, and shrinks back as the
 * delay goes.
 */
export class PrefetchWindow {
  /** Tasks sent ahead of the ones the worker runs now. */
  size: number
  /** The worker's mean time per task (ms), smoothed over its result frames; NaN until the first. */
  private taskMs = Number.NaN
  /**
   * The least delay seen between a frame's post and its reading: the two
   * sides' clocks may differ by a constant (processes), so delays count above it.
   */
  private minLag = Infinity
  /** The main side's delay in reading a frame, above `minLag`: quick to rise, slow to fall (ms). */
  private lateMs = 0

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

  /** The work (ms) the window holds now: `prefetchMs`, or more to cover a late main side. */
  get windowMs(): number {
    const { prefetchMs } = this.options
    const cover = Math.min(2 * this.lateMs, Math.max(LATE_WINDOW_MS, prefetchMs))
    return cover > prefetchMs ? cover : prefetchMs
  }

  /**
   * Sizes the window from what `count` tasks took in the worker (`took` ms,
   * start to end) and from how long the frame that reported them waited to be
   * read (`lag` ms; NaN when unknown). Returns whether the size changed.
   */
  adapt(took: number, count: number, lag = Number.NaN): boolean {
    const { prefetch, prefetchMs, concurrentTasksPerWorker: k } = this.options
    if (prefetchMs === Infinity || prefetch <= 1) return false
    // Tasks running side by side (async ones) each take a slot for their whole time.
    const perTask = took / count / k
    this.taskMs = Number.isNaN(this.taskMs) ? perTask : this.taskMs + (perTask - this.taskMs) * 0.25
    if (Number.isFinite(lag)) {
      if (lag < this.minLag) this.minLag = lag
      const late = lag - this.minLag
      // A delay counts at once (half of it), and fades over a few dozen frames.
      this.lateMs += (late - this.lateMs) * (late > this.lateMs ? 0.5 : 0.05)
    }
    const wanted = this.taskMs > 0 ? Math.round(this.windowMs / this.taskMs) : prefetch
    const size = wanted >= prefetch ? prefetch : wanted > 1 ? wanted : 1
    // A change under a quarter is noise: keep the window steady (but reach the bounds).
    if (size === this.size) return false
    if (size !== prefetch && size !== 1 && Math.abs(size - this.size) * 4 < this.size) return false
    this.size = size
    return true
  }
}
