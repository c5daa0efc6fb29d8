// Rounds after the first run the job in a fresh process of this same program:
// run again in this one, the main thread would parse with the compiler loaded
// and warmed up by the first round, and the pool's wall would skip what a
// user's run pays. A fresh process pays it every round, as the references do.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Options } from './options.js'
import type { Summary } from './summary.js'

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url))

/** Where the first round ran: every later round runs there too. */
export interface FirstChoice {
  where: 'main' | 'pool'
  workers: number
}

/**
 * The command line that repeats the job alone (no references, no output but
 * the JSON), where the first round ran: auto mode would read a load average
 * raised by this program's own measurements and could choose differently, and
 * the rounds are to measure one thing.
 */
export function rerunArgs(options: Options, first: FirstChoice): string[] {
  const where = first.where === 'main' ? ['--mode', 'main', '--workers', String(options.workers)] : ['--mode', 'pool', '--workers', String(first.workers)]
  return [options.dir, '--json', '--no-baseline', ...where, '--read', options.read, '--queue', options.queue, '--max-size', String(options.maxBytes / 1e6)]
}

/** Runs the job once more in a fresh process; resolves to its summary. */
export function rerunJob(options: Options, first: FirstChoice): Promise<Summary> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [MAIN, ...rerunArgs(options, first)], { maxBuffer: 64 * 2 ** 20 }, (error, stdout) => {
      if (error !== null) reject(new Error(`the rerun of the job failed: ${error.message}`, { cause: error }))
      else resolve(JSON.parse(stdout) as Summary)
    })
  })
}
