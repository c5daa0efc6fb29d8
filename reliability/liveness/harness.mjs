// What a liveness scenario reports. A scenario is a plain program, as a user
// would write it: top-level await on the pool's promises and no keep-alive, so a
// wait that only an unref'd timer could end makes Node exit with code 13
// ("unfinished top-level await") instead of hanging the way it would in vitest.
//
//   track(label, promise)  records how an awaited promise settles, and when
//   mark(label)            records a moment ('closed': the last close resolved)
//   note(key, value)       records a figure the test checks (a call count...)
//
// When the process exits, for any reason, this prints ONE JSON line on stdout:
// the exit code, every tracked promise (pending, fulfilled with a summary of its
// value, or rejected with the error's name, code, message and cause), the marks
// and the notes, with times in ms since the scenario started. A scenario still
// running at the test's deadline gets SIGTERM and reports the same way, so the
// test can name the promises that never settled.
import { writeSync } from 'node:fs'

const origin = performance.now()
const elapsed = () => Math.round((performance.now() - origin) * 10) / 10

/** @type {{ label: string, state: 'pending' | 'fulfilled' | 'rejected', since: number, at?: number, ms?: number, value?: unknown, error?: unknown }[]} */
const tracked = []
const marks = {}
const notes = {}
let signal

/** A JSON-safe picture of an error: name, code, message and, two levels deep, its cause. */
export function describeError(error, depth = 0) {
  if (error === null || typeof error !== 'object') return { thrown: String(error) }
  const out = { name: error.name ?? error.constructor?.name, message: String(error.message ?? '').slice(0, 500) }
  if (error.code !== undefined) out.code = error.code
  if (error.cause !== undefined && depth < 2) out.cause = describeError(error.cause, depth + 1)
  return out
}

function summarize(value, depth = 0) {
  if (value === undefined) return '<undefined>'
  try {
    const json = JSON.stringify(value)
    if (json.length <= 1_000) return JSON.parse(json)
    return `${json.slice(0, 1_000)}...`
  } catch (error) {
    // Not JSON (a cycle, a BigInt): its fields one level down, and why.
    if (value === null || typeof value !== 'object' || depth > 0) return `<${typeof value}: ${error.message.split('\n')[0]}>`
    const out = { '<not JSON>': error.message.split('\n')[0] }
    for (const [k, v] of Object.entries(value)) out[k] = Array.isArray(v) ? `<array of ${v.length}>` : summarize(v, depth + 1)
    return out
  }
}

/**
 * Records how `promise` settles. Returns a promise that settles with it (it
 * resolves either way, so `await track(...)` waits like the user's own await
 * and never throws).
 */
export function track(label, promise) {
  const entry = { label, state: 'pending', since: elapsed() }
  tracked.push(entry)
  const settle = (state, key, value) => {
    entry.state = state
    entry.at = elapsed()
    entry.ms = Math.round((entry.at - entry.since) * 10) / 10
    entry[key] = value
  }
  return Promise.resolve(promise).then(
    (value) => settle('fulfilled', 'value', summarize(value)),
    (error) => settle('rejected', 'error', describeError(error)),
  )
}

/** Records the time of a moment, such as 'closed' once the last close() resolved. */
export function mark(label) {
  marks[label] = elapsed()
}

/** Records a figure for the test (call counts, a close report's sizes...). */
export function note(key, value) {
  notes[key] = summarize(value)
}

/** A plain timer of the user's own (it keeps the process alive, as any pending setTimeout does). */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

// A signal listener does not keep the process alive: it only matters when the
// test stops a scenario that outlived its deadline.
process.once('SIGTERM', () => {
  signal = 'SIGTERM'
  process.exit(143)
})

process.on('exit', (code) => {
  // Node reports an unsettled top-level await as exit code 13 through process.exitCode.
  const exitCode = typeof process.exitCode === 'number' && process.exitCode !== 0 ? process.exitCode : code
  const pending = tracked.filter((t) => t.state === 'pending').map((t) => t.label)
  writeSync(1, `\n${JSON.stringify({ liveness: 1, exitCode, signal, exitAt: elapsed(), pending, marks, notes, tracked })}\n`)
})

/** Waits until `promise` settles or `ms` pass, whichever is first, and leaves no timer behind. */
export async function settledWithin(promise, ms) {
  let timer
  await Promise.race([Promise.resolve(promise).then(undefined, () => {}), new Promise((resolve) => (timer = setTimeout(resolve, ms)))])
  clearTimeout(timer)
}
