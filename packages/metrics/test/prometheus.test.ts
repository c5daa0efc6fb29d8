import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import type { ParsedFamily } from 'parse-prometheus-text-format'
import { describe, expect, it } from 'vitest'
import { formatPrometheus } from '../src/index.js'
import { latency, poolMetrics, snapshotOf } from './snapshot-fixture.js'

/** Every family, in the order written, with its type as the parser reports it. */
const FAMILIES: readonly (readonly [string, ParsedFamily['type']])[] = [
  ['poolkit_tasks_submitted_total', 'COUNTER'],
  ['poolkit_tasks_started_total', 'COUNTER'],
  ['poolkit_tasks_total', 'COUNTER'],
  ['poolkit_tasks_rejected_total', 'COUNTER'],
  ['poolkit_pool_open', 'GAUGE'],
  ['poolkit_workers', 'GAUGE'],
  ['poolkit_worker_starts_total', 'COUNTER'],
  ['poolkit_worker_crashes_total', 'COUNTER'],
  ['poolkit_worker_restarts_total', 'COUNTER'],
  ['poolkit_worker_event_loop_utilization_ratio', 'GAUGE'],
  ['poolkit_queue_depth', 'GAUGE'],
  ['poolkit_tasks_running', 'GAUGE'],
  ['poolkit_utilization_ratio', 'GAUGE'],
  ['poolkit_task_wait_seconds', 'HISTOGRAM'],
  ['poolkit_task_run_seconds', 'HISTOGRAM'],
  ['poolkit_throughput_per_second', 'GAUGE'],
  ['poolkit_error_ratio', 'GAUGE'],
  ['poolkit_key_tasks_total', 'COUNTER'],
  ['poolkit_untracked_key_tasks_total', 'COUNTER'],
]

interface Series {
  readonly name: string
  readonly labels: Record<string, string>
  readonly value: string
}

/**
 * Every sample line, each parsed on its own by the real parser (which unescapes
 * label values). The parser folds a labelled histogram's `_sum` and `_count`
 * away when it parses a whole family, so histograms are read line by line.
 */
function series(text: string, name?: string): Series[] {
  const out: Series[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    // A trailing line feed: the parser writes out a family when it meets the line after it.
    const [family] = parsePrometheusTextFormat(`${line}\n`)
    const sample = family?.metrics[0]
    if (family === undefined || sample?.value === undefined) throw new Error(`unparsed line: ${line}`)
    if (name === undefined || family.name === name) out.push({ name: family.name, labels: sample.labels ?? {}, value: sample.value })
  }
  return out
}

/** `value` of each series of `name`, keyed by its labels other than `pool`, for one pool. */
function valuesOf(text: string, name: string, pool = 'api'): Record<string, string> {
  const out: Record<string, string> = {}
  for (const s of series(text, name)) {
    if (s.labels.pool !== pool) continue
    const { pool: _, ...rest } = s.labels
    out[Object.values(rest).join('/')] = s.value
  }
  return out
}

/**
 * Checks the exposition rules the lenient parser does not: `# HELP` then
 * `# TYPE` before a family's samples, sample names belonging to the family
 * being written, each family once, each series once, and a final line feed.
 */
function checkExposition(text: string): void {
  expect(text.endsWith('\n')).toBe(true)
  const lines = text.slice(0, -1).split('\n')
  const families = new Set<string>()
  const seen = new Set<string>()
  let current = ''
  let type = ''
  for (const [i, line] of lines.entries()) {
    const help = /^# HELP ([a-zA-Z_][a-zA-Z0-9_]*) \S/.exec(line)
    if (help !== null) {
      current = help[1] ?? ''
      expect(families.has(current), `family ${current} written twice`).toBe(false)
      families.add(current)
      expect(lines[i + 1]).toMatch(new RegExp(`^# TYPE ${current} (counter|gauge|histogram)$`))
      type = /(\w+)$/.exec(lines[i + 1] ?? '')?.[1] ?? ''
      continue
    }
    if (line.startsWith('# TYPE ')) continue
    expect(line).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*(\{.*\})? (NaN|[+-]Inf|-?\d+(\.\d+)?(e[+-]?\d+)?)$/)
    const name = /^[a-zA-Z0-9_]+/.exec(line)?.[0]
    const allowed = type === 'histogram' ? [`${current}_bucket`, `${current}_sum`, `${current}_count`] : [current]
    expect(allowed, `sample ${line} outside its family`).toContain(name)
    const key = line.slice(0, line.lastIndexOf(' '))
    expect(seen.has(key), `series ${key} written twice`).toBe(false)
    seen.add(key)
  }
}

describe('formatPrometheus', () => {
  const text = formatPrometheus(snapshotOf(poolMetrics('api'), poolMetrics('batch', { queueDepth: 99 })))

  it('writes every family with its HELP and TYPE, and the whole text parses', () => {
    const parsed = parsePrometheusTextFormat(text)
    expect(parsed.map((f) => [f.name, f.type])).toEqual(FAMILIES)
    for (const family of parsed) expect(family.help).not.toBe('')
    checkExposition(text)
  })

  it('writes every family, without samples, for a snapshot with no pools', () => {
    const empty = formatPrometheus(snapshotOf())
    checkExposition(empty)
    const parsed = parsePrometheusTextFormat(empty)
    expect(parsed.map((f) => f.name)).toEqual(FAMILIES.map(([name]) => name))
    expect(series(empty)).toEqual([])
  })

  it('writes one series per pool with a pool label, in snapshot order', () => {
    const depth = series(text, 'poolkit_queue_depth')
    expect(depth).toEqual([
      { name: 'poolkit_queue_depth', labels: { pool: 'api' }, value: '31' },
      { name: 'poolkit_queue_depth', labels: { pool: 'batch' }, value: '99' },
    ])
  })

  it('counts submitted and started tasks in families of their own and the rest by outcome', () => {
    expect(valuesOf(text, 'poolkit_tasks_submitted_total')).toEqual({ '': '100' })
    expect(valuesOf(text, 'poolkit_tasks_started_total')).toEqual({ '': '90' })
    expect(valuesOf(text, 'poolkit_tasks_total')).toEqual({
      completed: '70',
      failed: '8',
      rejected: '15',
      cancelled: '6',
      timed_out: '7',
      retried: '9',
      dead_lettered: '10',
    })
    expect(series(text, 'poolkit_tasks_total')[0]?.labels).toEqual({ pool: 'api', outcome: 'completed' })
  })

  it('counts rejections by reason', () => {
    expect(valuesOf(text, 'poolkit_tasks_rejected_total')).toEqual({ queue_full: '1', dropped: '2', closed: '3', circuit_open: '4', no_workers: '5', unplaceable: '6' })
    expect(series(text, 'poolkit_tasks_rejected_total')[0]?.labels).toEqual({ pool: 'api', reason: 'queue_full' })
  })

  it('reports 1 in poolkit_pool_open while a pool is open or paused, 0 once it closes', () => {
    expect(valuesOf(text, 'poolkit_pool_open')).toEqual({ '': '1' })
    const closed = formatPrometheus(snapshotOf(poolMetrics('old', { state: 'closed' })))
    expect(valuesOf(closed, 'poolkit_pool_open', 'old')).toEqual({ '': '0' })
  })

  it('reports workers by state as a gauge and their starts, crashes and restarts as counters', () => {
    expect(valuesOf(text, 'poolkit_workers')).toEqual({ busy: '3', idle: '2', starting: '1' })
    expect(series(text, 'poolkit_workers')[0]?.labels).toEqual({ pool: 'api', state: 'busy' })
    expect(valuesOf(text, 'poolkit_worker_starts_total')).toEqual({ '': '21' })
    expect(valuesOf(text, 'poolkit_worker_crashes_total')).toEqual({ '': '22' })
    expect(valuesOf(text, 'poolkit_worker_restarts_total')).toEqual({ '': '23' })
  })

  it("reports each worker's event-loop utilization with a worker label", () => {
    expect(series(text, 'poolkit_worker_event_loop_utilization_ratio').filter((s) => s.labels.pool === 'api')).toEqual([
      { name: 'poolkit_worker_event_loop_utilization_ratio', labels: { pool: 'api', worker: '1' }, value: '0.25' },
      { name: 'poolkit_worker_event_loop_utilization_ratio', labels: { pool: 'api', worker: '2' }, value: '0.75' },
    ])
  })

  it('reports queue depth, running tasks and utilization as gauges', () => {
    expect(valuesOf(text, 'poolkit_queue_depth')).toEqual({ '': '31' })
    expect(valuesOf(text, 'poolkit_tasks_running')).toEqual({ '': '3' })
    expect(valuesOf(text, 'poolkit_utilization_ratio')).toEqual({ '': '0.5' })
  })

  it('writes wait and run histograms with le and _sum in seconds and _count from the +Inf bucket', () => {
    expect(valuesOf(text, 'poolkit_task_wait_seconds_bucket')).toEqual({ '0.001': '10', '0.005': '40', '0.1': '60', '+Inf': '70' })
    expect(valuesOf(text, 'poolkit_task_wait_seconds_sum')).toEqual({ '': '1.2345' })
    expect(valuesOf(text, 'poolkit_task_wait_seconds_count')).toEqual({ '': '70' })
    // 1.1 ms / 1000 is 0.0011000000000000001 in floating point; the bound is written clean.
    expect(valuesOf(text, 'poolkit_task_run_seconds_bucket')).toEqual({ '0.0011': '2', '0.25': '50', '+Inf': '78' })
    expect(valuesOf(text, 'poolkit_task_run_seconds_sum')).toEqual({ '': '98.765' })
    expect(valuesOf(text, 'poolkit_task_run_seconds_count')).toEqual({ '': '78' })
  })

  it('writes histogram buckets with ascending le and non-decreasing counts, ending at +Inf', () => {
    for (const name of ['poolkit_task_wait_seconds_bucket', 'poolkit_task_run_seconds_bucket']) {
      for (const pool of ['api', 'batch']) {
        const buckets = series(text, name).filter((s) => s.labels.pool === pool)
        const les = buckets.map((b) => (b.labels.le === '+Inf' ? Infinity : Number(b.labels.le)))
        const counts = buckets.map((b) => Number(b.value))
        expect(les).toEqual([...les].sort((a, b) => a - b))
        expect(counts).toEqual([...counts].sort((a, b) => a - b))
        expect(buckets.at(-1)?.labels.le).toBe('+Inf')
      }
    }
  })

  it('parses each histogram as one family with its buckets when a single pool is written', () => {
    const [wait] = parsePrometheusTextFormat(formatPrometheus(snapshotOf(poolMetrics('api')))).filter((f) => f.name === 'poolkit_task_wait_seconds')
    expect(wait?.type).toBe('HISTOGRAM')
    expect(wait?.metrics[0]?.buckets).toEqual({ '0.001': '10', '0.005': '40', '0.1': '60', '+Inf': '70' })
  })

  it('adds a +Inf bucket counting every value when the snapshot buckets lack one', () => {
    const out = formatPrometheus(snapshotOf(poolMetrics('api', { wait: latency([[2, 3]], 4), run: latency([], 0) })))
    checkExposition(out)
    expect(valuesOf(out, 'poolkit_task_wait_seconds_bucket')).toEqual({ '0.002': '3', '+Inf': '3' })
    expect(valuesOf(out, 'poolkit_task_wait_seconds_count')).toEqual({ '': '3' })
    expect(valuesOf(out, 'poolkit_task_run_seconds_bucket')).toEqual({ '+Inf': '0' })
    expect(valuesOf(out, 'poolkit_task_run_seconds_sum')).toEqual({ '': '0' })
  })

  it('reports throughput and error ratio per window', () => {
    expect(valuesOf(text, 'poolkit_throughput_per_second')).toEqual({ '1s': '4', '10s': '3.5', '60s': '2.25' })
    expect(valuesOf(text, 'poolkit_error_ratio')).toEqual({ '1s': '0', '10s': '0.125', '60s': '0.2' })
    expect(series(text, 'poolkit_error_ratio')[0]?.labels).toEqual({ pool: 'api', window: '1s' })
  })

  it('counts tasks of each tracked key by outcome, and untracked key tasks', () => {
    expect(valuesOf(text, 'poolkit_key_tasks_total')).toEqual({
      'tenant-a/completed': '11',
      'tenant-a/failed': '12',
      'tenant-a/rejected': '13',
      'tenant-a/cancelled': '14',
      'tenant-a/timed_out': '15',
      'tenant-b/completed': '41',
      'tenant-b/failed': '12',
      'tenant-b/rejected': '13',
      'tenant-b/cancelled': '14',
      'tenant-b/timed_out': '15',
    })
    expect(series(text, 'poolkit_key_tasks_total')[0]?.labels).toEqual({ pool: 'api', key: 'tenant-a', outcome: 'completed' })
    expect(valuesOf(text, 'poolkit_untracked_key_tasks_total')).toEqual({ '': '17' })
  })

  it('escapes backslash, double quote and line feed in label values', () => {
    const pool = 'a"b\\c\nd'
    const key = 'k\\"\n'
    const out = formatPrometheus(snapshotOf(poolMetrics(pool, { keys: [{ ...poolMetrics('x').keys[0]!, key }] })))
    expect(out).toContain('poolkit_queue_depth{pool="a\\"b\\\\c\\nd"} 31\n')
    checkExposition(out)
    expect(parsePrometheusTextFormat(out).map((f) => f.name)).toEqual(FAMILIES.map(([name]) => name))
    expect(series(out, 'poolkit_queue_depth')[0]?.labels).toEqual({ pool })
    expect(series(out, 'poolkit_key_tasks_total')[0]?.labels).toEqual({ pool, key, outcome: 'completed' })
    expect(series(out, 'poolkit_task_wait_seconds_count')[0]?.labels).toEqual({ pool })
  })

  it('spells NaN and infinities as the format does and writes large integers without an exponent', () => {
    const out = formatPrometheus(snapshotOf(poolMetrics('api', { utilization: Number.NaN, queueDepth: 123_456_789_012_345, throughput: { '1s': Infinity, '10s': -Infinity, '60s': 0 } })))
    checkExposition(out)
    expect(out).toContain('poolkit_utilization_ratio{pool="api"} NaN\n')
    expect(out).toContain('poolkit_queue_depth{pool="api"} 123456789012345\n')
    expect(out).toContain('poolkit_throughput_per_second{pool="api",window="1s"} +Inf\n')
    expect(out).toContain('poolkit_throughput_per_second{pool="api",window="10s"} -Inf\n')
    expect(out).toContain('poolkit_task_wait_seconds_bucket{pool="api",le="+Inf"} 70\n')
    expect(valuesOf(out, 'poolkit_utilization_ratio')).toEqual({ '': 'NaN' })
  })

  it('starts every name with options.prefix', () => {
    const out = formatPrometheus(snapshotOf(poolMetrics('api')), { prefix: 'jobs' })
    checkExposition(out)
    expect(parsePrometheusTextFormat(out).map((f) => f.name)).toEqual(FAMILIES.map(([name]) => name.replace(/^poolkit_/, 'jobs_')))
    expect(out).not.toContain('poolkit')
  })

  it('rejects a prefix that is not a metric name, naming the option and the value', () => {
    const snapshot = snapshotOf()
    expect(() => formatPrometheus(snapshot, { prefix: '1x' })).toThrow(TypeError)
    expect(() => formatPrometheus(snapshot, { prefix: '1x' })).toThrow(/^options\.prefix must be a Prometheus metric name prefix .*, got "1x"$/)
    expect(() => formatPrometheus(snapshot, { prefix: 'a:b' })).toThrow(/options\.prefix .* got "a:b"/)
    expect(() => formatPrometheus(snapshot, { prefix: '' })).toThrow(/options\.prefix .* got ""/)
    expect(() => formatPrometheus(snapshot, { prefix: 7 as unknown as string })).toThrow(TypeError)
    expect(() => formatPrometheus(snapshot, 'x' as never)).toThrow('options must be an object, got "x"')
  })
})
