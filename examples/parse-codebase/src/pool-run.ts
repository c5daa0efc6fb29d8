// The job on a pool of worker threads, composed from the packages as a user
// would: node-adapter threads, metrics, an idle scaler, and optionally the
// fair queue by package.
import { readFile } from 'node:fs/promises'
import { createPool, type Pool, type TaskResult } from '@poolkit/core'
import type { Metrics } from '@poolkit/metrics'
import { threads } from '@poolkit/node-adapter'
import { createFairQueue } from '@poolkit/queue'
import { idleScaler } from '@poolkit/scaler'
import type { FileOutcome, OnOutcome } from './outcome.js'
import type { ParsedFile } from './parse.js'
import type { BytesTask } from './parse.worker.js'
import type { SourceFile } from './walk.js'

/** The input of a task: a path (`--read worker`) or the bytes read on the main thread (`--read main`). */
type ParseInput = string | BytesTask

/** How the pool is built and fed. */
export interface ParsePoolOptions {
  /** Worker threads. */
  workers: number
  /** `fair`: @poolkit/queue's fair queue, round robin between packages; `largest`: the default FIFO queue, fed largest first. */
  queue: 'fair' | 'largest'
  /** Observes the pool (queue waits for the summary, the dashboard). */
  metrics: Metrics
}

/** A pool of parsing workers: started before the files are known, so the workers load the compiler during the walk. */
export type ParsePool = Pool<ParseInput, ParsedFile | null>

/**
 * Milliseconds of work kept waiting in each worker (node-adapter's
 * `prefetchMs`, default 3). On a machine busier than its cores (the shared
 * 2-core one: load average 4 to 8), the main thread can wait several
 * milliseconds to be scheduled, and a worker whose 3 ms ran out sits idle
 * meanwhile: 12,000 files took 13 to 21 s at 3 ms and 9 to 15 s at 50 ms in
 * interleaved runs. The cost is at most 50 ms of one worker's work left when
 * the other has run out, at the end, where the files are the smallest.
 */
const PREFETCH_MS = 50

/** Starts the pool; its workers start loading the compiler at once. */
export function startParsePool(options: ParsePoolOptions): ParsePool {
  const pool = createPool<ParseInput, ParsedFile | null>({
    name: 'parse-codebase',
    executor: threads(new URL('./parse.worker.js', import.meta.url), { prefetchMs: PREFETCH_MS }),
    concurrency: options.workers,
    ...(options.queue === 'fair' ? { queue: createFairQueue() } : {}),
    observers: [options.metrics],
    // Starts at `concurrency`; workers idle for 5 s retire. Not 1 s: the workers
    // start during the walk and wait, ready, for its end (1.5 s on node_modules
    // on a busy 2-core machine); one retired then would load the compiler again.
    scaler: idleScaler({ min: 1, max: options.workers, idleTimeout: 5000 }),
  })
  // Start-up failures surface through the tasks; this only keeps an early one from going unhandled.
  pool.ready().catch(() => undefined)
  return pool
}

/** Bytes read ahead of the workers with `--read main`: bounded memory, yet never an idle worker. */
const WINDOW_BYTES = 64e6
/** Files read from disk at once with `--read main`. */
const READS_AT_ONCE = 8

/** The file's bytes as an ArrayBuffer of its own, so it can be transferred without moving a shared pool slab. */
function ownBuffer(bytes: Buffer): ArrayBuffer {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
  return (whole ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) as ArrayBuffer
}

/**
 * Feeds `files` to the pool in the order given and resolves when every one
 * has an outcome. `read: 'worker'` sends paths (each worker reads its own
 * files); `read: 'main'` reads here, a bounded window ahead, and moves the
 * bytes.
 */
export function feedPool(pool: ParsePool, files: readonly SourceFile[], read: 'worker' | 'main', onOutcome: OnOutcome): Promise<void> {
  return new Promise((resolveAll) => {
    let left = files.length
    if (left === 0) resolveAll()
    let next = 0
    let reading = 0
    let inFlightBytes = 0
    const finish = (outcome: FileOutcome): void => {
      inFlightBytes -= outcome.file.size
      onOutcome(outcome)
      if (--left === 0) resolveAll()
      else if (read === 'main') pump()
    }
    const settle = (file: SourceFile) => (result: TaskResult<ParsedFile | null>) => {
      if (!result.ok) finish({ file, error: result.error })
      else if (result.value === null) finish({ file, binary: true })
      else finish({ file, parsed: result.value })
    }
    function pump(): void {
      while (reading < READS_AT_ONCE && next < files.length && inFlightBytes < WINDOW_BYTES) {
        const file = files[next++]!
        reading++
        inFlightBytes += file.size
        readFile(file.path).then(
          (bytes) => {
            reading--
            const data = ownBuffer(bytes)
            pool.submit({ name: file.path, data }, settle(file), { name: 'bytes', key: file.key, transfer: [data] })
            pump()
          },
          (error: unknown) => {
            reading--
            finish({ file, error })
          },
        )
      }
    }
    if (read === 'main') pump()
    else for (const file of files) pool.submit(file.path, settle(file), { key: file.key })
  })
}
