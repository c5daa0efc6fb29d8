import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { settings } from '../config.js'
import { MEMORY_LIBRARIES, type MemoryLibrary, type MemoryReport } from '../memory-report.js'
import { fmtRatio, printTable } from '../stats.js'

const CHILD = fileURLToPath(new URL('../rss-child.js', import.meta.url))

export interface MemoryResult {
  readonly reports: Map<MemoryLibrary, MemoryReport>
}

function runChild(library: MemoryLibrary, tasks: number): Promise<MemoryReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', CHILD, library, String(tasks)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`memory child for ${library} exited with ${code}`))
      try {
        resolve(JSON.parse(out.trim()) as MemoryReport)
      } catch (error) {
        reject(new Error(`memory child for ${library} printed no report: ${out}`, { cause: error }))
      }
    })
  })
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`

/** Suite 3: memory held by a paused backlog, one fresh child process per library, one after another. */
export async function memory(): Promise<MemoryResult> {
  const { tasks } = settings.memory
  console.log(`\n## 3. Memory: ${tasks.toLocaleString('en-US')} no-op tasks queued while paused (concurrency 1), one child process per library`)
  const reports = new Map<MemoryLibrary, MemoryReport>()
  for (const library of MEMORY_LIBRARIES) {
    reports.set(library, await runChild(library, tasks))
    process.stderr.write('.')
  }
  process.stderr.write('\n')
  const poolkitRss = reports.get('poolkit')!.queuedRss
  printTable(
    ['library', 'RSS queued', 'heap queued', 'heap B/task', 'max RSS', 'queue ms', 'drain ms', 'RSS vs poolkit'],
    [...reports.values()].map((r) => [
      r.library,
      mb(r.queuedRss),
      mb(r.queuedHeap),
      ((r.queuedHeap - r.baseHeap) / r.tasks).toFixed(0),
      mb(r.maxRss),
      r.queueMs.toFixed(0),
      r.drainMs.toFixed(0),
      fmtRatio(r.queuedRss / poolkitRss),
    ]),
  )
  const base = reports.get('poolkit')!
  console.log(`(baseline before queuing: about ${mb(base.baseRss)} RSS, ${mb(base.baseHeap)} heap; "RSS queued" is after a full GC)`)
  return { reports }
}
