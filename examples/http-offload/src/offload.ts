// Where the render runs: inline on the event loop, on poolkit's threads() or on piscina
// (as @fastify/piscina runs a route's task: `await pool.run(input)`, its queue unbounded).
import { availableParallelism } from 'node:os'
import { createPool, QueueFullError } from '@poolkit/core'
import { threads } from '@poolkit/node-adapter'
import { Piscina } from 'piscina'
import { render } from './render.js'

/** The three servers the example and `pnpm bench http` compare. */
export const MODES = ['poolkit', 'piscina', 'inline'] as const
export type Mode = (typeof MODES)[number]

/** The render, refused when the pool is full. */
export interface Offload {
  readonly mode: Mode
  /** Renders the document; rejects with {@link Busy} when the pool's queue is full. */
  render(markdown: string): Promise<string>
  /** Resolves once the workers have started (at once inline and for piscina, whose threads start with the pool). */
  ready(): Promise<void>
  /** A refusal if the pool is full now, so the server can answer 503 without buffering the upload (run() still decides). */
  refusal(): Busy | undefined
  /** What `/health` reports: tasks waiting and running (both 0 inline). */
  load(): { queued: number; running: number }
  /** Closes the pool after its tasks: the server has stopped taking requests by then. */
  close(): Promise<void>
}

/** The pool is full: the request should come back in `retryAfterS` seconds. */
export class Busy extends Error {
  override name = 'Busy'
  constructor(
    readonly retryAfterS: number,
    options?: ErrorOptions,
  ) {
    super(`busy, retry in ${retryAfterS} s`, options)
  }
}

export interface OffloadOptions {
  mode: Mode
  /** Worker threads. @defaultValue os.availableParallelism() */
  workers?: number
  /** Tasks that may wait for a worker before a request gets 503 (poolkit; piscina only when set). @defaultValue 32 */
  maxQueue?: number
  /** poolkit's `prefetch`: tasks sent ahead to each worker beyond the one it runs (threads()' own default is 256). @defaultValue 0 */
  prefetch?: number
}

const workerFile = (name: string): URL => new URL(`./${name}`, import.meta.url)

/**
 * The `Retry-After` for a refused request: the time the work already accepted takes to
 * drain, (waiting + running) × mean run time / workers, rounded up to whole seconds
 * (the header's unit), at least 1.
 */
export function retryAfterSeconds(waiting: number, running: number, meanRunMs: number, workers: number): number {
  const ms = ((waiting + running) * (Number.isFinite(meanRunMs) ? meanRunMs : 0)) / Math.max(1, workers)
  return Math.max(1, Math.ceil(ms / 1000))
}

/** Builds the render for a mode; the pools start their workers at once. */
export function createOffload(options: OffloadOptions): Offload {
  const workers = options.workers ?? availableParallelism()
  switch (options.mode) {
    case 'inline':
      return { mode: 'inline', ready: async () => {}, render: async (markdown) => render(markdown), refusal: () => undefined, load: () => ({ queued: 0, running: 0 }), close: async () => {} }
    case 'poolkit': {
      const maxQueue = options.maxQueue ?? 32
      const pool = createPool<string, string>({
        name: 'render',
        // One task per worker at a time: a request's render never waits inside a busy worker while
        // another is free, and every waiting task is in the pool's queue, where maxQueue counts it.
        // (The default window grows while the main thread is slow to read results, as a loaded
        // HTTP server's is, up to 50 ms of work per worker: `pnpm bench http` measures both.)
        executor: threads(workerFile('render.worker.js'), { prefetch: options.prefetch ?? 0 }),
        concurrency: workers,
        // Backpressure: past maxQueue waiting, refuse at once instead of queueing without bound.
        maxQueue,
        onQueueFull: 'reject',
      })
      const busy = (cause?: unknown): Busy => {
        const s = pool.stats()
        return new Busy(retryAfterSeconds(s.queued, s.running, s.meanRunMs, s.concurrency), { cause })
      }
      return {
        mode: 'poolkit',
        ready: () => pool.ready(),
        async render(markdown) {
          try {
            return await pool.run(markdown, { name: 'render' })
          } catch (error) {
            if (!(error instanceof QueueFullError)) throw error
            throw busy(error)
          }
        },
        refusal() {
          // The pool's own admission rule: a task waits only if no worker is free, and only while fewer than maxQueue do.
          const s = pool.stats()
          return s.queued >= maxQueue && (s.queued > 0 || s.running >= s.capacity) ? busy() : undefined
        },
        load() {
          const s = pool.stats()
          return { queued: s.queued, running: s.running }
        },
        close: async () => {
          await pool.close()
        },
      }
    }
    case 'piscina': {
      const maxQueue = options.maxQueue ?? Infinity
      const pool = new Piscina<string, string>({ filename: workerFile('render.piscina.js').href, minThreads: workers, maxThreads: workers, maxQueue })
      let inFlight = 0
      let idle: (() => void) | undefined
      const busy = (): Busy => new Busy(retryAfterSeconds(pool.queueSize, inFlight - pool.queueSize, pool.histogram.runTime.average, workers))
      return {
        mode: 'piscina',
        ready: async () => {},
        async render(markdown) {
          // piscina refuses past maxQueue with a plain Error; its queue is unbounded by default.
          if (pool.queueSize >= maxQueue) throw busy()
          inFlight++
          try {
            return await pool.run(markdown)
          } finally {
            if (--inFlight === 0) idle?.()
          }
        },
        refusal: () => (pool.queueSize >= maxQueue ? busy() : undefined),
        load: () => ({ queued: pool.queueSize, running: inFlight - pool.queueSize }),
        async close() {
          // piscina 5.3.2's close() with tasks still queued (those of clients that went away) threw
          // "Unexpected message from Worker" out of the event loop in 1 of 3 tries: let them finish first.
          if (inFlight > 0) await new Promise<void>((resolve) => (idle = resolve))
          await pool.close()
        },
      }
    }
  }
}
