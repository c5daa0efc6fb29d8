// Writes a run's results as benchmarks/results/<date>.json (every figure, for the chart and for later
// comparison) and <date>.md (a table per comparison, each line's ratio to the best peer).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BenchResults, ResultLine, ResultTable } from './results.js'
import { fmtRate, fmtRatio } from './stats.js'

/** Where results go: `BENCH_RESULTS_DIR`, else `benchmarks/results`. */
export function resultsDir(): string {
  const override = process.env.BENCH_RESULTS_DIR
  return override !== undefined && override !== '' ? resolve(override) : fileURLToPath(new URL('../results/', import.meta.url))
}

/** The best peer of a table (highest or lowest value, as the table's `better` says), or undefined where it has none. */
export function bestPeer(t: ResultTable): ResultLine | undefined {
  const peers = t.lines.filter((l) => l.role === 'peer')
  if (peers.length === 0) return undefined
  return peers.reduce((a, b) => ((t.better === 'higher' ? b.value > a.value : b.value < a.value) ? b : a))
}

/** How `line` compares with `against`, oriented so that above 1 means `line` is better (faster, smaller). */
export function ratio(t: ResultTable, line: ResultLine, against: ResultLine): number {
  return t.better === 'higher' ? line.value / against.value : against.value / line.value
}

/** The table's first line of ours: the one its headline ratio is about. */
export function headline(t: ResultTable): ResultLine | undefined {
  return t.lines.find((l) => l.role === 'ours')
}

/** A value in its table's unit, as the tables print it. */
export function formatValue(unit: string, v: number): string {
  switch (unit) {
    case 'tasks/s':
    case 'items/s':
    case 'jobs/s':
      return fmtRate(v)
    case 'bytes':
      return `${(v / 2 ** 20).toFixed(1)} MB`
    case 'x':
      return fmtRatio(v)
    case 'µs':
      return `${v.toFixed(1)} µs`
    case 'ns/call':
    case 'ns/task':
      return v >= 1e6 ? `${(v / 1e6).toFixed(2)} ms` : `${v.toFixed(1)} ns`
    default:
      return `${v.toPrecision(4)} ${unit}`
  }
}

/** A ratio, with enough digits to read one far below 1x (bottleneck's are about 0.0003x). */
const fmtR = (r: number): string => (Number.isFinite(r) && r > 0 && r < 0.01 ? `${r.toPrecision(2)}x` : fmtRatio(r))

const cell = (s: string): string => s.replace(/\|/g, '\\|')

function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[], rightFrom: number): string {
  const align = headers.map((_, i) => (i >= rightFrom ? '---:' : '---'))
  return [headers, align, ...rows].map((r) => `| ${r.map(cell).join(' | ')} |`).join('\n')
}

/** The Markdown report of a results object. */
export function renderMarkdown(r: BenchResults): string {
  const out: string[] = []
  out.push(`# poolkit benchmarks, ${r.date.slice(0, 16).replace('T', ' ')} UTC${r.quick ? ' (QUICK MODE: small counts, not for reporting)' : ''}`)
  out.push('')
  out.push(`node ${r.node}, ${r.platform}, ${r.cores} cores (${r.cpu}); suites: ${r.suites.join(', ')}; ${r.durationS.toFixed(0)} s.`)
  out.push('')
  out.push(`Measured: ${r.versions}.`)
  out.push('')
  out.push(
    'Every table is one comparison, all of its lines measured in the same process run. "vs best peer" compares each line with the best peer line ' +
      'of the same table (the fastest, or the smallest where lower is better): above 1x, that line is better. Lines of kind "reference" are floors ' +
      'or ceilings written for the suite (a minimal limiter, a hand-rolled pool, a bare echo worker, no breaker at all); they are never the best peer. ' +
      'Figures are medians; see benchmarks/README.md for what each suite does.',
  )
  const summary = r.tables.flatMap((t) => {
    const own = headline(t)
    const peer = bestPeer(t)
    if (own === undefined || peer === undefined) return []
    return [[t.suite, t.title, `${own.name}: ${formatValue(t.unit, own.value)}`, `${peer.name}: ${formatValue(t.unit, peer.value)}`, fmtR(ratio(t, own, peer))]]
  })
  if (summary.length > 0) {
    out.push('', '## Summary', '')
    out.push(markdownTable(['suite', 'comparison', 'poolkit', 'best peer', 'poolkit vs best peer'], summary, 4))
  }
  for (const suite of [...new Set(r.tables.map((t) => t.suite))]) {
    out.push('', `## ${suite}`)
    for (const t of r.tables.filter((x) => x.suite === suite)) {
      const peer = bestPeer(t)
      out.push('', `### ${t.title} (${t.unit}, ${t.better} is better)`, '')
      out.push(
        markdownTable(
          ['line', 'kind', t.unit, 'vs best peer'],
          t.lines.map((l) => [l.name, l.role, formatValue(t.unit, l.value), peer === undefined ? '-' : l === peer ? '1.00x (best peer)' : fmtR(ratio(t, l, peer))]),
          2,
        ),
      )
    }
  }
  if (r.scaling !== undefined) {
    const s = r.scaling
    out.push('', '## scaling', '')
    out.push(
      `${s.tasks.toLocaleString('en-US')} CPU-bound tasks through poolkit threads() at each worker count, against the same batch run sequentially (${s.sequentialMs.toFixed(0)} ms); ${s.rounds} rounds, ${s.cores} cores.` +
        (s.othersCores === undefined ? '' : ` Other processes kept ${s.othersCores.toFixed(2)} cores busy meanwhile.`),
    )
    out.push('')
    out.push(
      markdownTable(
        ['workers', 'poolkit ms', 'speedup', 'efficiency', 'hand-rolled pool speedup'],
        s.rows.map((row) =>
          row.measured
            ? [String(row.workers), row.poolkitMs!.toFixed(0), fmtRatio(row.speedup!), `${(row.efficiency! * 100).toFixed(0)}%`, fmtRatio(row.referenceSpeedup!)]
            : [String(row.workers), `not measured: ${s.cores} cores`, '-', '-', '-'],
        ),
        1,
      ),
    )
  }
  out.push('')
  return out.join('\n')
}

/** Writes `<dir>/<date>.json` and `<dir>/<date>.md` (`-quick` for a quick run, `-2`, `-3` ... rather than overwrite); returns both paths. */
export function writeResults(r: BenchResults, dir = resultsDir()): { json: string; md: string } {
  mkdirSync(dir, { recursive: true })
  const stem = `${r.date.slice(0, 10)}${r.quick ? '-quick' : ''}`
  let name = stem
  for (let n = 2; existsSync(join(dir, `${name}.json`)) || existsSync(join(dir, `${name}.md`)); n++) name = `${stem}-${n}`
  const json = join(dir, `${name}.json`)
  const md = join(dir, `${name}.md`)
  writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`)
  writeFileSync(md, renderMarkdown(r))
  return { json, md }
}
