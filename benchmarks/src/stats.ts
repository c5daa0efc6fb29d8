import type { Task } from 'tinybench'

/** The median of numbers (not sorted in place). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length
}

/** The median absolute deviation, relative to the median (0.05 = 5%). */
export function relativeMad(values: readonly number[]): number {
  const m = median(values)
  return median(values.map((v) => Math.abs(v - m))) / m
}

/** The latency samples (ms per iteration) of a finished tinybench task. */
export function samplesOf(task: Task): number[] {
  const r = task.result
  if (r.state === 'errored') throw r.error
  if (r.state !== 'completed' && r.state !== 'aborted-with-statistics') throw new Error(`task ${task.name} did not complete: ${r.state}`)
  const samples = r.latency.samples
  if (samples === undefined) throw new Error(`task ${task.name} kept no samples (retainSamples is off)`)
  return [...samples]
}

export function fmtRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return 'n/a'
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M/s`
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} k/s`
  return `${perSecond.toFixed(0)} /s`
}

export function fmtRatio(r: number): string {
  return Number.isFinite(r) ? `${r.toFixed(2)}x` : 'n/a'
}

export function fmtPct(r: number): string {
  return Number.isFinite(r) ? `±${(r * 100).toFixed(1)}%` : 'n/a'
}

/** Prints rows as a plain aligned text table (stable to paste into a README, unlike console.table). */
export function printTable(headers: readonly string[], rows: readonly (readonly string[])[], rightAlignFrom = 1): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i >= rightAlignFrom ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ')
  console.log(line(headers))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const r of rows) console.log(line(r))
}
