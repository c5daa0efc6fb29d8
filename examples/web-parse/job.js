// The parse job, without the page around it: the files (each with a `read()` that
// returns its bytes) parsed on a poolkit pool of Web Workers, on the page's main
// thread, or on independent workers that share nothing (the limit). main.js drives it
// from the folder the user picks; the benchmark and the test call it through
// `window.webParse`.
import { createPool } from '@poolkit/core'
import { webWorkers } from '@poolkit/web-adapter'
import { fetchGrammar } from './grammars.js'
import { addFile, addTotals, countFile, emptyTotals, loadParsers } from './tree-count.js'

/** The most bytes read and not yet parsed at once: reads stay ahead of the workers without holding the whole folder in memory. */
const READ_AHEAD_BYTES = 64 * 1024 * 1024

/** The modes a job runs in. `auto`: the pool where the page has Web Workers, else the main thread. */
export const MODES = ['auto', 'pool', 'one-worker', 'main', 'independent']

/** Largest first: parse time follows size, and a large file parsed last leaves one worker busy while the others idle. */
export function largestFirst(entries) {
  return [...entries].sort((a, b) => b.size - a.size || (a.name < b.name ? -1 : 1))
}

/** Splits the files into `n` shares of about equal bytes: largest first, each to the lightest share. */
export function splitEven(entries, n) {
  const shares = Array.from({ length: n }, () => ({ bytes: 0, entries: [] }))
  for (const entry of largestFirst(entries)) {
    const lightest = shares.reduce((a, b) => (b.bytes < a.bytes ? b : a))
    lightest.bytes += entry.size
    lightest.entries.push(entry)
  }
  return shares.map((share) => share.entries)
}

/** The default pool size: the adapter's (`navigator.hardwareConcurrency` - 1, at least 1). */
export function defaultWorkers() {
  return Math.max(1, (navigator.hardwareConcurrency || 2) - 1)
}

/**
 * Parses `entries` (`{ name, size, read(): Promise<ArrayBuffer> }`, each a file of a
 * parsed language) and counts them per language.
 * @param options - `mode` (one of MODES), `workers` (pool size or independent workers),
 *   `prefetchMs` (the adapter's option: work kept waiting in each worker; its default where
 *   undefined), `onProgress({ done, bytes }, totals)` after each file (or each worker's report),
 *   with the counts so far
 * @returns `{ mode, ran, workers, ms, firstMs, files, bytes, totals }`: `ran` says where it ran
 *   (`auto` resolved, or `main` after a pool that could not start its workers); `ms` until
 *   the last file's counts, `firstMs` until the first's
 */
export async function runJob(entries, { mode = 'auto', workers = defaultWorkers(), prefetchMs, onProgress = () => {} } = {}) {
  if (!MODES.includes(mode)) throw new RangeError(`options.mode must be one of ${MODES.join(', ')}, got ${String(mode)}`)
  if (!Number.isInteger(workers) || workers < 1) throw new TypeError(`options.workers must be a positive integer, got ${String(workers)}`)
  const ordered = largestFirst(entries)
  const progress = { done: 0, bytes: 0, firstAt: undefined, lastAt: undefined }
  const totals = emptyTotals()
  const started = performance.now()
  const report = onProgress
  // When the first and the last counts came in (the first: start-up, grammars compiled, then one file).
  onProgress = (p) => {
    p.lastAt = performance.now()
    p.firstAt ??= p.lastAt
    report(p, totals)
  }
  let ran = mode === 'auto' ? (typeof Worker === 'function' ? 'pool' : 'main') : mode
  if (ran === 'main') await onMainThread(ordered, totals, progress, onProgress)
  else if (ran === 'independent') await onIndependentWorkers(ordered, workers, totals, progress, onProgress)
  else {
    const left = await onPool(ordered, ran === 'one-worker' ? 1 : workers, prefetchMs, totals, progress, onProgress)
    // The sequential fallback: where the workers cannot start (no module workers, a
    // policy that forbids them), what the pool did not parse runs on the main thread.
    if (left.length > 0) {
      ran = 'main'
      await onMainThread(left, totals, progress, onProgress)
    }
  }
  // Until the last file's counts came in: closing the workers afterwards is not part of the wait a user sees.
  const ms = (progress.lastAt ?? performance.now()) - started
  const firstMs = progress.firstAt === undefined ? ms : progress.firstAt - started
  return { mode, ran, workers: ran === 'main' ? 0 : ran === 'one-worker' ? 1 : workers, ms, firstMs, files: progress.done, bytes: progress.bytes, totals }
}

/** The pool: every file read (bounded read-ahead) and moved to a worker; returns the files left unparsed because the workers could not start. */
async function onPool(ordered, workers, prefetchMs, totals, progress, onProgress) {
  const pool = createPool({ executor: webWorkers(new URL('./parse.worker.js', import.meta.url), { prefetchMs }), concurrency: workers })
  const left = []
  let inFlight = 0
  let wake
  const tasks = []
  try {
    for (const entry of ordered) {
      while (inFlight >= READ_AHEAD_BYTES) await new Promise((resolve) => (wake = resolve))
      const buffer = await entry.read()
      inFlight += entry.size
      tasks.push(
        pool
          // Moved, not copied: after this call `buffer` is detached on this side.
          .run({ name: entry.name, buffer }, { transfer: [buffer] })
          .then(
            (counted) => {
              addFile(totals, counted)
              progress.done++
              progress.bytes += entry.size
              onProgress(progress)
            },
            (error) => {
              if (error?.name !== 'WorkerStartError') throw error
              left.push(entry)
            },
          )
          .finally(() => {
            inFlight -= entry.size
            wake?.()
          }),
      )
    }
    await Promise.all(tasks)
  } finally {
    await pool.close()
  }
  return left
}

/** One file after another on this thread, yielding now and then so the page repaints its progress. */
async function onMainThread(ordered, totals, progress, onProgress) {
  const parsers = await loadParsers(fetchGrammar)
  let yielded = performance.now()
  try {
    for (const entry of ordered) {
      addFile(totals, countFile(parsers, entry.name, await entry.read()))
      progress.done++
      progress.bytes += entry.size
      onProgress(progress)
      if (performance.now() - yielded >= 50) {
        await nextTask()
        yielded = performance.now()
      }
    }
  } finally {
    for (const parser of parsers.values()) parser.delete()
  }
}

/** A macrotask turn (not a 4 ms-clamped timer): lets the page paint between slices of main-thread work. */
function nextTask() {
  return new Promise((resolve) => {
    const channel = new MessageChannel()
    channel.port1.onmessage = () => {
      channel.port1.close()
      resolve()
    }
    channel.port2.postMessage(null)
  })
}

/** The limit: the files split into `workers` shares of equal bytes, each parsed by its own plain Worker, no pool, nothing shared. */
async function onIndependentWorkers(ordered, workers, totals, progress, onProgress) {
  const shares = splitEven(ordered, workers).filter((share) => share.length > 0)
  const started = shares.map(() => new Worker(new URL('./limit.worker.js', import.meta.url), { type: 'module' }))
  const seen = shares.map(() => ({ done: 0, bytes: 0 }))
  try {
    const reads = shares.map((share) => Promise.all(share.map(async (entry) => ({ name: entry.name, buffer: await entry.read() }))))
    await Promise.all(
      shares.map(async (_share, i) => {
        const files = await reads[i]
        const worker = started[i]
        const report = new Promise((resolve, reject) => {
          worker.onmessage = ({ data }) => {
            if (data.error !== undefined) reject(new Error(`independent worker ${i + 1}: ${data.error}`))
            else if (data.progress !== undefined) {
              seen[i] = data.progress
              progress.done = seen.reduce((sum, s) => sum + s.done, 0)
              progress.bytes = seen.reduce((sum, s) => sum + s.bytes, 0)
              onProgress(progress)
            } else resolve(data)
          }
          worker.onerror = (event) => reject(new Error(`independent worker ${i + 1} failed: ${event.message}`))
        })
        worker.postMessage(
          { files },
          files.map((f) => f.buffer),
        )
        const { totals: theirs, done, bytes } = await report
        addTotals(totals, theirs)
        seen[i] = { done, bytes }
        progress.done = seen.reduce((sum, s) => sum + s.done, 0)
        progress.bytes = seen.reduce((sum, s) => sum + s.bytes, 0)
        onProgress(progress)
      }),
    )
  } finally {
    for (const worker of started) worker.terminate()
  }
}
