/** What the threads suite's child process measures and prints, as one JSON line. */

/** Said by every report. */
interface ChildReport {
  /** Libraries whose close() did not settle within 2 s (their threads were then terminated directly). */
  readonly hung: readonly string[]
  /** Cores that other processes kept busy on average while the child measured (see `watchOthers`). */
  readonly othersCores: number | undefined
}

/** Peak memory of one burst of no-op tasks submitted at once. */
export interface BurstReport extends ChildReport {
  readonly library: string
  readonly tasks: number
  /** RSS with the pool started and warm, after a full GC, before the burst. */
  readonly baseRss: number
  /** The process's peak resident set (`resourceUsage().maxRSS`): main thread and workers, the burst included. */
  readonly peakRss: number
  /** RSS once every task settled, after a full GC. */
  readonly afterRss: number
  readonly burstMs: number
}

/** Start-up of a pool and the memory its idle workers hold. */
export interface StartupReport extends ChildReport {
  readonly library: string
  readonly workers: number
  /** From creating the pool to the first task's result. */
  readonly firstResultMs: number
  /** From creating the pool to `ready()` (every worker reported ready), where the library has it. */
  readonly readyMs: number | undefined
  /**
   * RSS before creating the pool (libraries loaded, full GC) and with its
   * workers idle after a few tasks; only in a child run with `--expose-gc`.
   */
  readonly baseRss: number | undefined
  readonly idleRss: number | undefined
}

/** One line's round trips (ms). */
export interface LatencyLine {
  readonly name: string
  readonly median: number
  readonly p99: number
  readonly mean: number
}

/** Round trips of one task at a time, every line in one process. */
export interface LatencyReport extends ChildReport {
  readonly lines: readonly LatencyLine[]
}

/** One line's transfer round trips. */
export interface TransferLine {
  readonly name: string
  /** Round trips per second: trips / their summed time. */
  readonly rate: number
  /** Median round trip (ms). */
  readonly median: number
  /** The first buffer sent was detached: it was moved, not copied. */
  readonly movedOut: boolean
}

/** A buffer moved to a worker and back, every line in one process. */
export interface TransferReport extends ChildReport {
  readonly lines: readonly TransferLine[]
}
