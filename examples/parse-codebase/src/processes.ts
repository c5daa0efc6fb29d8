// The references the pool is measured against: the same files parsed by
// independent single-threaded child processes, one (one thread) or two side by
// side, each taking half (the machine's limit for this job). Each child is a
// fresh node that loads the compiler and parses its list with the same
// parsePath the workers run; the wall time runs from starting the children to
// the last one's report, start-up included, as the pool's does.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** What the parent sends a child: the files to parse, in order. */
export interface ChildRequest {
  paths: string[]
}

/** What a child reports when it has parsed its list. */
export interface ChildReport {
  /** Milliseconds from the child's start to ready (node's boot and the compiler's load). */
  startMs: number
  /** Milliseconds parsing its list (read, decode, parse, count). */
  parseMs: number
  /** Files parsed (binary ones skipped). */
  files: number
}

/** The measurement of one group of processes run side by side. */
export interface ProcessesTiming {
  /** Wall time from starting the children to the last report. */
  wallMs: number
  /** Each child's report, in the order of the groups. */
  children: ChildReport[]
}

const CHILD = fileURLToPath(new URL('./measure-child.js', import.meta.url))

/** Runs one child to its exit; resolves to its report and when it came (performance.now()). */
function runChild(paths: string[]): Promise<{ report: ChildReport; at: number }> {
  return new Promise((resolve, reject) => {
    // The child's flags are node's defaults, as a plain `node script.js` would get.
    const child = fork(CHILD, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    let report: ChildReport | undefined
    let at = 0
    child.on('message', (message: 'ready' | ChildReport) => {
      if (message === 'ready') {
        child.send({ paths } satisfies ChildRequest)
        return
      }
      at = performance.now()
      report = message
    })
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      if (report !== undefined) resolve({ report, at })
      else reject(new Error(`measuring child exited with ${signal ?? `code ${code}`} before reporting`))
    })
  })
}

/**
 * Parses each group of paths in its own child process, all at once, and times
 * them: one group is the single-threaded run, two halves the two-process
 * limit (see `splitInTwo`).
 */
export async function timeProcesses(groups: readonly (readonly string[])[]): Promise<ProcessesTiming> {
  const start = performance.now()
  const runs = await Promise.all(groups.map((paths) => runChild([...paths])))
  // To the last report, not the last exit: a child's teardown is not parsing.
  return { wallMs: Math.max(...runs.map((r) => r.at)) - start, children: runs.map((r) => r.report) }
}
