// The command line: flags, their defaults, and the usage text.
import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

/** A mistake in the command line or the directory: printed as `error: …`, exit code 2. */
export class UsageError extends Error {}

/** The options of one invocation, checked. */
export interface Options {
  dir: string
  workers: number
  json: boolean
  perFile: boolean
  dashboard: boolean
  port: number
  maxBytes: number
  /** Measure the references on a sample of about this many bytes (Infinity: every file). */
  sampleBytes: number
  /** Measure one thread (and, with `limit`, two processes) after the pool. */
  baseline: boolean
  /** Measure the two-process limit too. */
  limit: boolean
  mode: 'auto' | 'pool' | 'main'
  read: 'worker' | 'main'
  queue: 'largest' | 'fair'
  /** Runs of each measurement, interleaved; medians reported. */
  rounds: number
}

/** The usage text of `--help`. */
export const USAGE = `Usage: pnpm demo -- [directory] [options]
       node examples/parse-codebase/dist/main.js [directory] [options]

Parses every .js, .mjs, .cjs and .ts file under the directory (default: the
repository's node_modules) on a pool of worker threads (or on the main thread
when the job is too small for a pool to win), then measures the same files
parsed by one single-threaded process and by two side by side, each taking
half (the machine's limit), and reports all three.

Options:
  --workers N       the most worker threads (default: available parallelism, here ${availableParallelism()})
  --mode M          auto (default: the pool or the main thread, whichever is estimated faster;
                    the main thread when the load average is twice the cores), pool or main
  --read R          worker (default: each worker reads its files by path) or main (the main thread reads ahead)
  --queue Q         largest (default: largest files first) or fair (round robin by package)
  --rounds N        run each measurement N times, interleaved, and report medians (default 1)
  --json            print only the summary, as JSON (no progress)
  --per-file        with --json, add each file's counts
  --dashboard       serve the metrics dashboard while it runs (http://127.0.0.1:PORT/)
  --port N          the dashboard's port (default 9464; 0 picks a free one)
  --max-size MB     skip files larger than this (default 2)
  --sample-mb MB    estimate one thread and the limit from a sample of about MB, scaled by bytes (default: every file)
  --baseline        measure one thread and the two-process limit (the default)
  --no-baseline     measure neither (no speedup)
  --no-limit        measure one thread but not the two-process limit
  -h, --help        this text`

function positiveNumber(name: string, value: string | undefined, fallback: number, integer: boolean): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(value)}`)
  }
  return n
}

function oneOf<T extends string>(name: string, value: string | undefined, choices: readonly T[]): T {
  if (value === undefined) return choices[0]!
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`)
  return value as T
}

/** Reads the command line (without node and the script); `'help'` for `-h`. */
export function readOptions(argv: string[]): Options | 'help' {
  let parsed
  try {
    parsed = parseArgs({
      // `pnpm demo -- <dir>` passes its `--` on, which parseArgs would take as
      // the end of the options: drop a leading one.
      args: argv[0] === '--' ? argv.slice(1) : argv,
      allowPositionals: true,
      options: {
        workers: { type: 'string' },
        mode: { type: 'string' },
        read: { type: 'string' },
        queue: { type: 'string' },
        rounds: { type: 'string' },
        json: { type: 'boolean' },
        'per-file': { type: 'boolean' },
        dashboard: { type: 'boolean' },
        port: { type: 'string' },
        'max-size': { type: 'string' },
        'sample-mb': { type: 'string' },
        baseline: { type: 'boolean' },
        'no-baseline': { type: 'boolean' },
        'no-limit': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  const { values, positionals } = parsed
  if (values.help) return 'help'
  if (positionals.length > 1) throw new UsageError(`expected one directory, got ${positionals.length}: ${positionals.join(' ')}`)
  const port = values.port === undefined ? 9464 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be an integer from 0 to 65535, got ${JSON.stringify(values.port)}`)
  }
  const baseline = values['no-baseline'] !== true
  return {
    // Default: this repository's own installed dependencies (examples/parse-codebase/dist -> root).
    dir: resolve(positionals[0] ?? fileURLToPath(new URL('../../../node_modules', import.meta.url))),
    workers: positiveNumber('--workers', values.workers, availableParallelism(), true),
    json: values.json === true,
    perFile: values['per-file'] === true,
    dashboard: values.dashboard === true,
    port,
    maxBytes: positiveNumber('--max-size', values['max-size'], 2, false) * 1e6,
    sampleBytes: positiveNumber('--sample-mb', values['sample-mb'], Infinity, false) * 1e6,
    baseline,
    limit: baseline && values['no-limit'] !== true,
    mode: oneOf('--mode', values.mode, ['auto', 'pool', 'main'] as const),
    read: oneOf('--read', values.read, ['worker', 'main'] as const),
    queue: oneOf('--queue', values.queue, ['largest', 'fair'] as const),
    rounds: positiveNumber('--rounds', values.rounds, 1, true),
  }
}
