#!/usr/bin/env node
// Writes one SVG per policy into packages/scaler/docs/: the worker count and the
// p95 queue wait of a simulated run on a step load, so the README shows how each
// policy behaves. Plain SVG text, no dependencies.
//
// Run from the repository root after building the package:
//   pnpm --filter @poolkit/scaler build && node packages/scaler/scripts/chart.mjs
import { mkdir, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

let scaler
try {
  scaler = await import('../dist/index.js')
} catch (error) {
  console.error('Could not load packages/scaler/dist: build it first (pnpm --filter @poolkit/scaler build).')
  throw error
}
const { simulate, thresholdScaler, littleScaler, adaptiveLimit, idleScaler } = scaler

const DOCS = fileURLToPath(new URL('../docs/', import.meta.url))

// The load every chart shares: 100 tasks/s, 1,000 from 10 s, 100 again from 40 s; 10 ms tasks.
const STEPS = [
  { atMs: 0, perSecond: 100 },
  { atMs: 10_000, perSecond: 1000 },
  { atMs: 40_000, perSecond: 100 },
]
const SERVICE = { baseMs: 10, jitter: 0.2 }
const DURATION_MS = 70_000
const SAMPLE_MS = 500

const POLICIES = [
  { file: 'threshold-scaler.svg', title: 'thresholdScaler({ min: 1, max: 64, cooldownMs: 2000, downStep: 4 })', make: () => thresholdScaler({ min: 1, max: 64, cooldownMs: 2000, downStep: 4 }) },
  { file: 'little-scaler.svg', title: 'littleScaler({ min: 1, max: 64 })', make: () => littleScaler({ min: 1, max: 64 }) },
  { file: 'adaptive-limit.svg', title: 'adaptiveLimit({ min: 1, max: 64 })', make: () => adaptiveLimit({ min: 1, max: 64 }) },
  { file: 'idle-scaler.svg', title: 'idleScaler({ min: 1, max: 64, idleTimeout: 5000 })', make: () => idleScaler({ min: 1, max: 64, idleTimeout: 5000 }) },
]

const W = 820
const H = 500
const LEFT = 70
const RIGHT = 24
const TOP_PANEL = { y: 70, h: 200 }
const BOTTOM_PANEL = { y: 320, h: 130 }
const COLORS = { workers: '#2563eb', needed: '#9ca3af', wait: '#dc2626', grid: '#e5e7eb', axis: '#374151', phase: '#f3f4f6' }

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const fmt = (n) => (Number.isInteger(n) ? String(n) : n.toFixed(1))

/** About `count` round tick values from 0 to at least `max`. */
function ticks(max, count) {
  const raw = Math.max(max, 1) / count
  const pow = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw)
  const top = Math.ceil(Math.max(max, 1) / step) * step
  const values = []
  for (let v = 0; v <= top + step / 2; v += step) values.push(Math.round(v * 1e6) / 1e6)
  return { values, top }
}

const x = (ms) => LEFT + (ms / DURATION_MS) * (W - LEFT - RIGHT)

function panel({ y, h }, top, yTicks, label, unit) {
  const yOf = (v) => y + h - (v / top) * h
  const parts = []
  // The high-load phase, shaded.
  parts.push(`<rect x="${x(10_000)}" y="${y}" width="${x(40_000) - x(10_000)}" height="${h}" fill="${COLORS.phase}"/>`)
  for (const v of yTicks) {
    parts.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${yOf(v)}" y2="${yOf(v)}" stroke="${COLORS.grid}"/>`)
    parts.push(`<text x="${LEFT - 8}" y="${yOf(v) + 4}" text-anchor="end" font-size="11" fill="${COLORS.axis}">${fmt(v)}</text>`)
  }
  for (let s = 0; s <= DURATION_MS; s += 10_000) {
    parts.push(`<line x1="${x(s)}" x2="${x(s)}" y1="${y + h}" y2="${y + h + 4}" stroke="${COLORS.axis}"/>`)
    parts.push(`<text x="${x(s)}" y="${y + h + 17}" text-anchor="middle" font-size="11" fill="${COLORS.axis}">${s / 1000} s</text>`)
  }
  parts.push(`<rect x="${LEFT}" y="${y}" width="${W - LEFT - RIGHT}" height="${h}" fill="none" stroke="${COLORS.axis}"/>`)
  parts.push(`<text transform="translate(${18},${y + h / 2}) rotate(-90)" text-anchor="middle" font-size="12" fill="${COLORS.axis}">${esc(label)}${unit ? ` (${unit})` : ''}</text>`)
  return { svg: parts.join('\n'), yOf }
}

/** A step line: each sample's value holds over its window `(atMs - SAMPLE_MS, atMs]`. */
function stepPath(samples, value, yOf) {
  let d = `M ${x(0).toFixed(1)} ${yOf(value(samples[0])).toFixed(1)}`
  let prev = samples[0].atMs - SAMPLE_MS
  for (const s of samples) {
    d += ` H ${x(prev).toFixed(1)} V ${yOf(value(s)).toFixed(1)}`
    prev = s.atMs
  }
  return d + ` H ${x(prev).toFixed(1)}`
}

function chart(title, report) {
  const { samples } = report
  // Workers the load keeps busy on average: rate x mean service time.
  const needed = (atMs) => (STEPS.filter((s) => s.atMs < atMs).at(-1)?.perSecond ?? 0) * (SERVICE.baseMs / 1000)
  const workersTicks = ticks(Math.max(...samples.map((s) => s.workers), 10), 5)
  const waitTicks = ticks(Math.max(...samples.map((s) => s.waitP95), 10), 4)
  const top = panel(TOP_PANEL, workersTicks.top, workersTicks.values, 'workers', '')
  const bottom = panel(BOTTOM_PANEL, waitTicks.top, waitTicks.values, 'p95 queue wait', 'ms')
  const neededPath = stepPath(samples, (s) => needed(s.atMs), top.yOf)
  const summary = `wasted ${report.wastedWorkerSeconds.toFixed(0)} worker-s · mean ${report.meanWorkers.toFixed(1)} workers · p95 wait ${report.wait.p95.toFixed(0)} ms, max ${report.wait.max.toFixed(0)} ms · ${report.scalingChanges} scaling changes · ${report.completed} tasks`
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif">
<rect width="${W}" height="${H}" fill="#ffffff"/>
<text x="${LEFT}" y="26" font-size="15" font-weight="600" fill="#111827">${esc(title)}</text>
<text x="${LEFT}" y="46" font-size="11.5" fill="#4b5563">Step load 100 → 1,000 → 100 tasks/s (shaded: 1,000/s), 10 ms tasks ±20%, simulated on a virtual clock</text>
<text x="${LEFT}" y="62" font-size="11.5" fill="#4b5563">${esc(summary)}</text>
${top.svg}
<path d="${neededPath}" fill="none" stroke="${COLORS.needed}" stroke-width="1.5" stroke-dasharray="5 4"/>
<path d="${stepPath(samples, (s) => s.workers, top.yOf)}" fill="none" stroke="${COLORS.workers}" stroke-width="2"/>
${bottom.svg}
<path d="${stepPath(samples, (s) => s.waitP95, bottom.yOf)}" fill="none" stroke="${COLORS.wait}" stroke-width="1.8"/>
<g font-size="11.5" fill="${COLORS.axis}">
<line x1="${LEFT}" x2="${LEFT + 24}" y1="${H - 18}" y2="${H - 18}" stroke="${COLORS.workers}" stroke-width="2"/><text x="${LEFT + 30}" y="${H - 14}">live workers</text>
<line x1="${LEFT + 130}" x2="${LEFT + 154}" y1="${H - 18}" y2="${H - 18}" stroke="${COLORS.needed}" stroke-width="1.5" stroke-dasharray="5 4"/><text x="${LEFT + 160}" y="${H - 14}">workers the load keeps busy</text>
<line x1="${LEFT + 350}" x2="${LEFT + 374}" y1="${H - 18}" y2="${H - 18}" stroke="${COLORS.wait}" stroke-width="1.8"/><text x="${LEFT + 380}" y="${H - 14}">p95 queue wait of tasks started in each 0.5 s</text>
</g>
</svg>
`
}

await mkdir(DOCS, { recursive: true })
for (const policy of POLICIES) {
  const started = performance.now()
  const report = await simulate({ scaler: policy.make(), arrivals: { kind: 'steps', steps: STEPS }, service: SERVICE, durationMs: DURATION_MS, sampleMs: SAMPLE_MS })
  await writeFile(new URL(policy.file, new URL('../docs/', import.meta.url)), chart(policy.title, report))
  console.log(`docs/${policy.file}: ${report.completed} tasks simulated in ${(performance.now() - started).toFixed(0)} ms`)
}
