// The soak samples as an SVG: one row per phase, one panel per measure (heap
// after GC, RSS, p99 latency) against tasks settled. The second half, where the
// trend is judged, is shaded, with its trend line dashed.
import type { SoakReport, SoakSample } from './soak.js'
import type { Verdict } from './trend.js'

const PANEL_W = 300
const PANEL_H = 170
const PAD = { left: 52, right: 14, top: 30, bottom: 34 }
const COLOURS = { heap: '#2563eb', rss: '#7c3aed', p99: '#dc2626' } as const

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const fmt = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2))
const fmtTasks = (v: number): string => (v >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(0)}k` : String(v))

function panel(x0: number, y0: number, title: string, unit: string, samples: readonly SoakSample[], value: (s: SoakSample) => number, verdict: Verdict, colour: string): string {
  const w = PANEL_W - PAD.left - PAD.right
  const h = PANEL_H - PAD.top - PAD.bottom
  const xs = samples.map((s) => s.tasks)
  const ys = samples.map(value)
  const xMax = Math.max(1, ...xs)
  // From zero, so a flat line looks flat and growth is seen at its true size.
  const yMax = Math.max(1e-9, ...ys) * 1.15
  const px = (x: number): number => x0 + PAD.left + (x / xMax) * w
  const py = (y: number): number => y0 + PAD.top + h - (y / yMax) * h
  const half = samples[Math.floor(samples.length / 2)]
  const parts: string[] = []
  parts.push(
    `<text x="${x0 + PAD.left}" y="${y0 + 18}" font-size="12" font-weight="600">${esc(title)} <tspan font-weight="400" fill="${verdict.ok ? '#15803d' : '#b91c1c'}">${verdict.ok ? 'levels off' : 'GROWS'}</tspan></text>`,
  )
  if (half !== undefined) parts.push(`<rect x="${px(half.tasks)}" y="${y0 + PAD.top}" width="${px(xMax) - px(half.tasks)}" height="${h}" fill="#f1f5f9"/>`)
  parts.push(`<line x1="${x0 + PAD.left}" y1="${y0 + PAD.top + h}" x2="${x0 + PAD.left + w}" y2="${y0 + PAD.top + h}" stroke="#64748b"/>`)
  parts.push(`<line x1="${x0 + PAD.left}" y1="${y0 + PAD.top}" x2="${x0 + PAD.left}" y2="${y0 + PAD.top + h}" stroke="#64748b"/>`)
  for (const t of [0, 0.5, 1]) {
    const y = yMax * t
    parts.push(`<text x="${x0 + PAD.left - 4}" y="${py(y) + 4}" font-size="10" text-anchor="end" fill="#475569">${fmt(y)}</text>`)
    parts.push(`<text x="${px(xMax * t)}" y="${y0 + PAD.top + h + 13}" font-size="10" text-anchor="middle" fill="#475569">${fmtTasks(xMax * t)}</text>`)
  }
  parts.push(`<text x="${x0 + 12}" y="${y0 + PAD.top + h / 2}" font-size="10" fill="#475569" transform="rotate(-90 ${x0 + 12} ${y0 + PAD.top + h / 2})" text-anchor="middle">${esc(unit)}</text>`)
  parts.push(`<text x="${x0 + PAD.left + w / 2}" y="${y0 + PAD.top + h + 26}" font-size="10" text-anchor="middle" fill="#475569">tasks settled</text>`)
  parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="1.6" points="${samples.map((s) => `${px(s.tasks).toFixed(1)},${py(value(s)).toFixed(1)}`).join(' ')}"/>`)
  if (half !== undefined) {
    // The fitted line over the judged half, through its mean.
    const judged = samples.slice(Math.floor(samples.length / 2))
    const mx = judged.reduce((a, s) => a + s.tasks, 0) / judged.length
    const slope = verdict.slopePerMillion / 1e6
    const at = (x: number): number => verdict.mean + slope * (x - mx)
    const a = judged[0]!.tasks
    const b = judged[judged.length - 1]!.tasks
    parts.push(`<line x1="${px(a)}" y1="${py(at(a))}" x2="${px(b)}" y2="${py(at(b))}" stroke="#0f172a" stroke-dasharray="4 3" stroke-width="1"/>`)
  }
  return parts.join('\n')
}

/** Draws a soak report. */
export function plotSoak(report: SoakReport): string {
  const rows = report.phases.length
  const width = PANEL_W * 3 + 20
  const height = rows * PANEL_H + 60
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="700">poolkit soak${report.short ? ' (short form)' : ''}: ${report.workers} worker threads, ${esc(report.machine)}, Node ${esc(report.node)}</text>`,
    `<text x="10" y="38" font-size="11" fill="#475569">${esc(report.date.slice(0, 10))}. Heap after a full GC, RSS, and p99 submit-to-settle latency per sample; shaded: the half judged, dashed: its trend.</text>`,
  ]
  report.phases.forEach((p, row) => {
    const y0 = 50 + row * PANEL_H
    parts.push(`<text x="10" y="${y0 + 6}" font-size="12" font-weight="700">${esc(p.name)}, ${p.inFlight} in flight, ${p.seconds.toFixed(1)} s</text>`)
    parts.push(panel(10, y0, 'heap', 'MB', p.samples, (s) => s.heapMB, p.verdicts.heap, COLOURS.heap))
    parts.push(panel(10 + PANEL_W, y0, 'RSS', 'MB', p.samples, (s) => s.rssMB, p.verdicts.rss, COLOURS.rss))
    parts.push(panel(10 + 2 * PANEL_W, y0, 'p99 latency', 'ms', p.samples, (s) => s.p99Ms, p.verdicts.p99, COLOURS.p99))
  })
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}
