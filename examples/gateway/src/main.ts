// node dist/main.js [--gateway poolkit|poolkit-reject|poolkit-fail-fast|poolkit-handler-timeout|poolkit-burst-1|poolkit-no-cut|poolkit-no-min-left|peer|peer-bottleneck|peer-window|peer-strict] [--seed N] [--short] [--json]
// Runs the gateway scenario once through one gateway and prints its report (text, or one JSON line with --json).
import { parseArgs } from 'node:util'
import { formatReport } from './report.js'
import { GATEWAYS, runScenario, type GatewayName } from './run.js'
import { scenario } from './scenario.js'

const { values } = parseArgs({
  options: {
    gateway: { type: 'string', default: 'poolkit' },
    seed: { type: 'string', default: '1' },
    short: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
})
if (!(values.gateway in GATEWAYS)) throw new Error(`--gateway must be one of ${Object.keys(GATEWAYS).join(', ')}, got ${JSON.stringify(values.gateway)}`)
const seed = Number(values.seed)
if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got ${JSON.stringify(values.seed)}`)

const report = await runScenario(values.gateway as GatewayName, scenario(seed, values.short), values.short)
// Timers left once everything closed (there should be none: the process then exits on its own). One turn of the
// 100 ms first, so that the sockets and servers closed just now are gone from the list.
await new Promise((resolve) => setTimeout(resolve, 100))
report.pendingAfterClose = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'PipeWrap')
console.log(values.json ? JSON.stringify(report) : formatReport(report))
