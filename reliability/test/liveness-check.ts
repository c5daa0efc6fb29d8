// What a liveness scenario must show, and the check of one run against it:
// the exit, how each awaited promise settled, and the exit after the last close.
import type { ErrorSummary, ScenarioRun, TrackedPromise } from './liveness-run.js'

/** A string is matched exactly, a RegExp tested, a list is "one of". */
export type Match = string | RegExp | readonly string[]

export interface ErrorExpectation {
  readonly name?: Match
  readonly code?: Match
  readonly message?: Match
  readonly cause?: ErrorExpectation
}

export type Expectation =
  | { readonly state: 'fulfilled'; readonly value?: unknown; readonly withinMs?: number }
  | { readonly state: 'rejected'; readonly error: ErrorExpectation; readonly withinMs?: number }
  | { readonly state: 'any of'; readonly options: readonly Expectation[] }

/** Fulfilled (with `value`, compared as JSON, when given), within `withinMs` of being tracked when given. */
export const fulfilled = (value?: unknown, withinMs?: number): Expectation => ({ state: 'fulfilled', value, withinMs })
/** Rejected with an error that matches, within `withinMs` of being tracked when given. */
export const rejected = (error: ErrorExpectation, withinMs?: number): Expectation => ({ state: 'rejected', error, withinMs })
export const anyOf = (...options: Expectation[]): Expectation => ({ state: 'any of', options })

export interface Scenario {
  /** What the scenario shows, as the test's name. */
  readonly name: string
  readonly file: string
  readonly args?: readonly string[]
  /** Kill it past this (ms). @defaultValue 20_000 */
  readonly deadlineMs?: number
  /**
   * How each tracked promise must settle, by label; a label ending in `*`
   * covers every label with that prefix (at least one). Every tracked promise
   * must settle, listed here or not.
   */
  readonly expect: Readonly<Record<string, Expectation>>
  /** Notes the scenario must have recorded, compared as JSON. */
  readonly notes?: Readonly<Record<string, unknown>>
  /** Skips it, saying why (the bullmq scenarios without redis-server). */
  readonly skip?: string
  /** Whether it ends by closing what it made (mark('closed')); false for one that exits abruptly on purpose. @defaultValue true */
  readonly closes?: boolean
}

/** Most a process may take to exit by itself after its last close() resolved (ms; slack for a loaded machine). */
export const EXIT_AFTER_CLOSE_MS = 1_500

function matches(m: Match, actual: string | undefined): boolean {
  if (actual === undefined) return false
  if (typeof m === 'string') return actual === m
  if (m instanceof RegExp) return m.test(actual)
  return (m as readonly string[]).includes(actual)
}

function errorProblems(expected: ErrorExpectation, actual: ErrorSummary | undefined, path: string): string[] {
  if (actual === undefined) return [`${path}: expected an error, got none`]
  const out: string[] = []
  for (const field of ['name', 'code', 'message'] as const) {
    const m = expected[field]
    if (m !== undefined && !matches(m, actual[field])) out.push(`${path}.${field}: expected ${String(m)}, got ${JSON.stringify(actual[field])}`)
  }
  if (expected.cause !== undefined) out.push(...errorProblems(expected.cause, actual.cause, `${path}.cause`))
  return out
}

function outcomeProblems(e: Expectation, t: TrackedPromise): string[] {
  const where = `'${t.label}'`
  if (e.state === 'any of') {
    const each = e.options.map((o) => outcomeProblems(o, t))
    return each.some((p) => p.length === 0) ? [] : [`${where}: matches none of the allowed outcomes: ${each.map((p) => p.join('; ')).join(' | ')}`]
  }
  if (t.state !== e.state) {
    const got = t.state === 'rejected' ? `rejected with ${JSON.stringify(t.error)}` : t.state === 'fulfilled' ? `fulfilled with ${JSON.stringify(t.value)}` : 'still pending'
    return [`${where}: expected ${e.state}, got ${got}`]
  }
  const out: string[] = []
  if (e.state === 'fulfilled' && e.value !== undefined && JSON.stringify(t.value) !== JSON.stringify(e.value)) {
    out.push(`${where}: expected the value ${JSON.stringify(e.value)}, got ${JSON.stringify(t.value)}`)
  }
  if (e.state === 'rejected') out.push(...errorProblems(e.error, t.error, where))
  if (e.withinMs !== undefined && t.ms !== undefined && t.ms > e.withinMs) out.push(`${where}: settled after ${t.ms} ms, expected within ${e.withinMs} ms`)
  return out
}

/** Everything wrong with a run, as lines a person can read; empty when it passed. */
export function problems(s: Scenario, run: ScenarioRun): string[] {
  const out: string[] = []
  const r = run.report
  const deadline = s.deadlineMs ?? 20_000
  if (run.hung) out.push(`did not exit by itself within ${deadline} ms (stopped with SIGTERM)`)
  else if (run.code !== 0) out.push(`exited with code ${run.code}${run.code === 13 ? ' (a top-level await never settled: nothing kept the process alive while it waited)' : ''}`)
  if (run.leftovers.length > 0) out.push(`left processes of its own running after it exited (killed since):\n      ${run.leftovers.join('\n      ')}`)
  if (r === undefined) return [...out, 'printed no report']
  if (r.pending.length > 0) out.push(`never settled: ${r.pending.length > 8 ? `${r.pending.slice(0, 6).join(', ')}, ... (${r.pending.length} in all)` : r.pending.join(', ')}`)
  const closed = r.marks.closed
  if (s.closes === false) {
    if (closed !== undefined) out.push("reached mark('closed'), though it should exit before any close")
  } else if (closed === undefined) out.push("never reached mark('closed') (the last close() did not resolve, or was never reached)")
  else if (!run.hung && r.exitAt - closed > EXIT_AFTER_CLOSE_MS) out.push(`exited ${Math.round(r.exitAt - closed)} ms after the last close() resolved (at most ${EXIT_AFTER_CLOSE_MS})`)
  const unreached: string[] = []
  for (const [label, e] of Object.entries(s.expect)) {
    const prefix = label.endsWith('*') ? label.slice(0, -1) : undefined
    const subjects = r.tracked.filter((t) => (prefix === undefined ? t.label === label : t.label.startsWith(prefix)))
    if (subjects.length === 0) unreached.push(label)
    // Pending ones are listed above, once.
    const found = subjects.filter((t) => t.state !== 'pending').flatMap((t) => outcomeProblems(e, t).map((p) => (prefix === undefined ? p : p.replace(`'${t.label}'`, `'${label}'`))))
    // One line per distinct problem of a group ('held#*' x 30).
    const groups = new Map<string, { n: number; slowest: number }>()
    for (const p of found) {
      const ms = Number(/settled after ([\d.]+) ms/.exec(p)?.[1] ?? 0)
      const key = p.replace(/settled after [\d.]+ ms/, 'settled after up to {ms} ms')
      const g = groups.get(key) ?? { n: 0, slowest: 0 }
      groups.set(key, { n: g.n + 1, slowest: Math.max(g.slowest, ms) })
    }
    for (const [p, g] of groups) out.push((prefix === undefined ? p : `${p} (${g.n} of ${subjects.length})`).replace('{ms}', String(g.slowest)))
  }
  if (unreached.length > 0) out.push(`never reached (not tracked): ${unreached.join(', ')}`)
  for (const [key, value] of Object.entries(s.notes ?? {})) {
    if (JSON.stringify(r.notes[key]) !== JSON.stringify(value)) out.push(`note '${key}': expected ${JSON.stringify(value)}, got ${JSON.stringify(r.notes[key])}`)
  }
  return out
}

/** The failure message: what went wrong, then the report and the end of stderr. */
export function explain(s: Scenario, run: ScenarioRun, found: readonly string[]): string {
  const lines = [`${s.file} ${(s.args ?? []).join(' ')}: ${found.length} problem(s), ran ${Math.round(run.ms)} ms`, ...found.map((p) => `  - ${p}`)]
  if (run.report !== undefined) {
    lines.push(`  marks: ${JSON.stringify(run.report.marks)}  notes: ${JSON.stringify(run.report.notes)}  exitAt: ${run.report.exitAt}`)
    for (const t of run.report.tracked.slice(0, 12)) lines.push(`  ${JSON.stringify(t)}`)
    if (run.report.tracked.length > 12) lines.push(`  ... and ${run.report.tracked.length - 12} more tracked promises`)
  }
  const err = run.stderr.trim()
  if (err !== '') lines.push(`  stderr (end):\n${err.slice(-1_500)}`)
  return lines.join('\n')
}
