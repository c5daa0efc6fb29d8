// node dist/main.js [--gateway poolkit|poolkit-reject|poolkit-burst-default|peer|peer-bottleneck] [--seed N] [--short] [--json]
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
// What is left that would keep the process alive (there should be nothing: the process exits on its own).
report.pendingAfterClose = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'PipeWrap')
console.log(values.json ? JSON.stringify(report) : formatReport(report))
