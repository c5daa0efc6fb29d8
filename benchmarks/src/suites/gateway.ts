import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Report } from '@poolkit/example-gateway/report'
import { quick, settings } from '../config.js'
import { fmtRatio, median, printTable } from '../stats.js'
import { ordered, reportOthers, untilIdle, watchOthers } from '../thread-harness.js'

/** The example's CLI (examples/gateway/src/main.ts), built by turbo before the bench (a dependency of this package). */
const MAIN = fileURLToPath(new URL('../../../examples/gateway/dist/main.js', import.meta.url))

/** The gateways measured: main.ts's `--gateway` names, and whether each is ours or a peer. */
const GATEWAY_LINES: readonly { readonly id: string; readonly role: 'ours' | 'peer'; readonly quick: boolean }[] = [
  { id: 'poolkit', role: 'ours', quick: true },
  { id: 'poolkit-reject', role: 'ours', quick: false },
  { id: 'peer', role: 'peer', quick: true },
  { id: 'peer-bottleneck', role: 'peer', quick: false },
]

/** `BENCH_GATEWAYS=poolkit,poolkit-handler-timeout,peer`: other lines of main.ts's `--gateway` names (those starting with `peer` are peers). */
function selectedLines(): readonly { readonly id: string; readonly role: 'ours' | 'peer' }[] {
  const raw = process.env.BENCH_GATEWAYS
  if (raw === undefined || raw.trim() === '') return GATEWAY_LINES.filter((l) => !quick || l.quick)
  const ids = raw
    .split(',')
    .map((w) => w.trim())
    .filter((w) => w !== '')
  if (!ids.some((id) => id.startsWith('peer'))) throw new Error(`BENCH_GATEWAYS must name at least one peer line, got ${JSON.stringify(raw)}`)
  return ids.map((id) => ({ id, role: id.startsWith('peer') ? 'peer' : 'ours' }))
}

/** The figures of one gateway: medians over the rounds. */
export interface GatewayFigures {
  readonly name: string
  readonly role: 'ours' | 'peer'
  readonly goodput: number
  readonly wasted: number
  readonly wasted429: number
  readonly wastedOutage: number
  readonly quietP50: number
  readonly quietP99: number
  /** The quiet tenant's p99 on the two providers that stay up (the noisy neighbour alone, without the outage). */
  readonly quietP99Healthy: number
  readonly quietSuccess: number
  readonly deadlineMisses: number
  /** Null where no round saw a success from the flaky provider after its recovery. */
  readonly recoveryMs: number | null
  /** The latest any request settled past its deadline, over every round (ms). */
  readonly maxPastDeadlineMs: number
}

/** What the gateway suite measured. */
export interface GatewayResult {
  readonly seed: number
  readonly short: boolean
  readonly rounds: number
  readonly lines: readonly GatewayFigures[]
  readonly othersCores: number | undefined
}

/** Runs one gateway on the scenario in a fresh process and resolves to its report. */
function runOnce(id: string, seed: number, short: boolean): Promise<Report> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, '--gateway', id, '--seed', String(seed), '--json', ...(short ? ['--short'] : [])], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`gateway ${id} exited with ${code}`))
      try {
        resolve(JSON.parse(out.trim()) as Report)
      } catch (error) {
        reject(new Error(`gateway ${id} printed no report: ${out}`, { cause: error }))
      }
    })
  })
}

const ms = (v: number | null): string => (v === null || !Number.isFinite(v) ? '-' : `${v.toFixed(0)} ms`)

/**
 * Suite `gateway`: the API gateway of examples/gateway (three fake providers on 127.0.0.1, two tenants at
 * 120/s and 12/s, a 2 s deadline per request) through poolkit and through p-queue + cockatiel (+ bottleneck),
 * every line and round in a fresh process on the same seeded scenario, the lines taking turns; medians over
 * the rounds.
 */
export async function gateway(): Promise<GatewayResult> {
  const { seed, rounds, short } = settings.gateway
  const lines = selectedLines()
  console.log(
    `\n## Gateway: examples/gateway's scenario (seed ${seed}${short ? ', short' : ''}) through ${lines.length} gateways, a fresh process per line and round, ${rounds} round${rounds === 1 ? '' : 's'}, alternating order`,
  )
  const reports = new Map<string, Report[]>(lines.map((l) => [l.id, []]))
  const others = watchOthers()
  for (let round = 0; round < rounds; round++) {
    for (const line of ordered(lines, round)) {
      await untilIdle()
      reports.get(line.id)!.push(await runOnce(line.id, seed, short))
      process.stderr.write('.')
    }
  }
  process.stderr.write('\n')
  const figures: GatewayFigures[] = lines.map((line) => {
    const r = reports.get(line.id)!
    const recoveries = r.map((x) => x.recoveryToFirstSuccessMs).filter((x): x is number => x !== null)
    return {
      name: r[0]!.gateway,
      role: line.role,
      goodput: median(r.map((x) => x.goodput)),
      wasted: median(r.map((x) => x.wasted.total)),
      wasted429: median(r.map((x) => x.wasted.on429)),
      wastedOutage: median(r.map((x) => x.wasted.onOutage)),
      quietP50: median(r.map((x) => x.tenants.quiet.p50)),
      quietP99: median(r.map((x) => x.tenants.quiet.p99)),
      quietP99Healthy: median(r.map((x) => x.tenants.quiet.p99Healthy)),
      quietSuccess: median(r.map((x) => x.tenants.quiet.successRate)),
      deadlineMisses: median(r.map((x) => x.deadlineMisses)),
      recoveryMs: recoveries.length === 0 ? null : median(recoveries),
      maxPastDeadlineMs: Math.max(...r.map((x) => x.maxPastDeadlineMs)),
    }
  })
  const peers = figures.filter((f) => f.role === 'peer')
  const best = {
    goodput: Math.max(...peers.map((p) => p.goodput)),
    quietP99: Math.min(...peers.map((p) => p.quietP99)),
    quietP99Healthy: Math.min(...peers.map((p) => p.quietP99Healthy)),
    wasted: Math.min(...peers.map((p) => p.wasted)),
  }
  printTable(
    [
      'line',
      'goodput',
      'vs best peer',
      'wasted (429 + outage)',
      'quiet p50',
      'quiet p99',
      'p99 / best peer',
      'quiet p99, steady+paced',
      '/ best peer',
      'quiet success',
      'deadline misses',
      'recovery to 1st success',
      'max past deadline',
    ],
    figures.map((f) => [
      f.name,
      `${f.goodput.toFixed(1)} /s`,
      fmtRatio(f.goodput / best.goodput),
      `${f.wasted} (${f.wasted429} + ${f.wastedOutage})`,
      ms(f.quietP50),
      ms(f.quietP99),
      fmtRatio(f.quietP99 / best.quietP99),
      ms(f.quietP99Healthy),
      fmtRatio(f.quietP99Healthy / best.quietP99Healthy),
      `${(f.quietSuccess * 100).toFixed(1)}%`,
      String(f.deadlineMisses),
      ms(f.recoveryMs),
      ms(f.maxPastDeadlineMs),
    ]),
  )
  console.log('(medians over the rounds; "best peer": the better of the peer lines for that figure; p99 over the quiet tenant\'s successes)')
  const othersCores = others()
  reportOthers(othersCores)
  const judge = (ok: boolean): string => (quick ? 'not judged in quick mode' : ok ? 'met' : 'NOT met')
  for (const f of figures.filter((x) => x.role === 'ours')) {
    console.log(
      `gateway     ${f.name}: goodput ${fmtRatio(f.goodput / best.goodput)} of the best peer (target >= 1x: ${judge(f.goodput >= best.goodput)}), ` +
        `quiet p99 ${fmtRatio(f.quietP99 / best.quietP99)} of the best peer's (target <= 0.5x: ${judge(f.quietP99 <= 0.5 * best.quietP99)}; ` +
        `on steady+paced ${fmtRatio(f.quietP99Healthy / best.quietP99Healthy)}: ${judge(f.quietP99Healthy <= 0.5 * best.quietP99Healthy)}), ` +
        `wasted ${f.wasted} against ${best.wasted} (target no more: ${judge(f.wasted <= best.wasted)})`,
    )
  }
  return { seed, short, rounds, lines: figures, othersCores }
}
