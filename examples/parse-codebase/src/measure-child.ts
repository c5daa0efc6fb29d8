// A measuring child process (see processes.ts): says it is ready once the
// compiler is loaded (the import below, as in any fresh single-threaded
// program), gets its list of paths over IPC, parses them one after another,
// reports and exits.
import { parsePath } from './parse-path.js'
import type { ChildReport, ChildRequest } from './processes.js'

// performance.now() counts from this process's start: node's boot and the compiler's load.
const startMs = performance.now()
process.once('message', (request: ChildRequest) => {
  const start = performance.now()
  let files = 0
  for (const path of request.paths) if (parsePath(path) !== null) files++
  const report: ChildReport = { startMs, parseMs: performance.now() - start, files }
  process.send!(report, () => process.disconnect())
})
process.send!('ready')
