// Helpers of the threads suite: ordering, timing, child processes, and a watch on the rest of the machine.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import type { ThreadRunner } from './thread-pools.js'

const CHILD = fileURLToPath(new URL('./thread-child.js', import.meta.url))

/** close() calls that hung in child processes, by library (the main process's own are in `closeHangs`). */
export const childHangs = new Map<string, number>()

/** Each round runs the lines in order, the next round in reverse, so no line always goes first. */
export function ordered<T>(lines: readonly T[], round: number): readonly T[] {
  return round % 2 === 0 ? lines : [...lines].reverse()
}

export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!
}

/** Closes a pool, but does not let one that never finishes closing hold the suite up. */
export async function closeWithin(name: string, runner: { close(): Promise<unknown> }, ms = 10_000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)))
  const outcome = await Promise.race([runner.close().then(() => 'closed' as const), late])
  clearTimeout(timer)
  if (outcome === 'late') console.log(`(${name}: close() did not settle within ${ms} ms; going on without it)`)
}

/** Submits `n` no-op tasks at once and awaits them all; checks every result. */
export async function burst(runner: ThreadRunner, n: number): Promise<{ submitMs: number; totalMs: number }> {
  const all = new Array<PromiseLike<unknown>>(n)
  const t0 = performance.now()
  for (let i = 0; i < n; i++) all[i] = runner.echo(i)
  const submitMs = performance.now() - t0
  const results = await Promise.all(all)
  const totalMs = performance.now() - t0
  for (let i = 0; i < n; i++) if (results[i] !== i) throw new Error(`task ${i} returned ${String(results[i])}`)
  return { submitMs, totalMs }
}

/** Whether `taskset` can pin a child process to one core (Linux with util-linux). */
export const canPin = process.platform === 'linux' && existsSync('/usr/bin/taskset')

/**
 * Runs `dist/thread-child.js` (or `script`) with `args` in a fresh process and
 * resolves to the report it prints; `pin` runs it on one core (`taskset -c 0`),
 * `exposeGc: false` without `--expose-gc` (which slows down the start of every
 * worker thread).
 */
export function runChild<R extends { hung: readonly string[] }>(args: readonly string[], { pin = false, exposeGc = true, script = CHILD } = {}): Promise<R> {
  return new Promise((resolve, reject) => {
    const node = [process.execPath, ...(exposeGc ? ['--expose-gc'] : []), script, ...args]
    const child = pin ? spawn('taskset', ['-c', '0', ...node], { stdio: ['ignore', 'pipe', 'inherit'] }) : spawn(node[0]!, node.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`thread child ${args.join(' ')} exited with ${code}`))
      try {
        const report = JSON.parse(out.trim()) as R
        for (const name of report.hung) childHangs.set(name, (childHangs.get(name) ?? 0) + 1)
        resolve(report)
      } catch (error) {
        reject(new Error(`thread child ${args.join(' ')} printed no report: ${out}`, { cause: error }))
      }
    })
  })
}

/** Busy ticks of the whole machine (Linux `/proc/stat`), or undefined where it cannot be read. */
function busyTicks(): number | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number)
    // user nice system idle iowait irq softirq steal: everything but idle and iowait.
    return f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!
  } catch {
    return undefined
  }
}

/** What other processes did while this one waited in `untilIdle()`, left out of `watchOthers()`. */
const waited = { othersMs: 0, elapsedMs: 0 }

/** CPU time (ms) that other processes used in a window, from the machine's busy ticks less this process's own CPU time. */
function othersMs(ticks0: number, ticks1: number, own: NodeJS.CpuUsage): number {
  // /proc/stat counts in USER_HZ (100 per second on Linux).
  return (ticks1 - ticks0) * 10 - (own.user + own.system) / 1000
}

/**
 * Starts watching the machine: the returned function tells how many cores other
 * processes kept busy on average since (Linux `/proc/stat` less this process's
 * own CPU time, its worker threads included; time spent waiting in
 * `untilIdle()` left out), so a result taken on a busy machine says so.
 * Undefined where `/proc/stat` cannot be read.
 */
export function watchOthers(): () => number | undefined {
  const ticks0 = busyTicks()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const waited0 = { ...waited }
  return () => {
    const ticks1 = busyTicks()
    if (ticks0 === undefined || ticks1 === undefined) return undefined
    const others = othersMs(ticks0, ticks1, process.cpuUsage(cpu0)) - (waited.othersMs - waited0.othersMs)
    const elapsed = performance.now() - t0 - (waited.elapsedMs - waited0.elapsedMs)
    return Math.max(0, others) / Math.max(1, elapsed)
  }
}

export function reportOthers(others: (() => number | undefined) | number | undefined): void {
  const cores = typeof others === 'function' ? others() : others
  if (cores !== undefined) console.log(`(other processes kept ${cores.toFixed(2)} cores busy on average during this section${cores > 0.1 ? ': NOT an idle machine' : ''})`)
}

export function versionOf(name: string): string {
  try {
    const url = new URL(`../node_modules/${name}/package.json`, import.meta.url)
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version
  } catch {
    return '?'
  }
}

/** `BENCH_WAIT_IDLE=1`: before each measured line, wait for the rest of the machine to go quiet (for shared machines). */
export const waitIdle = process.env.BENCH_WAIT_IDLE === '1'
/** Lines that waited, how long they waited in all (ms), and how many gave up after 30 s and started on a busy machine. */
export const idleWaits = { lines: 0, waitedMs: 0, gaveUp: 0 }

/**
 * With `BENCH_WAIT_IDLE=1`, waits until other processes kept under 0.1 cores
 * busy for half a second (at most 30 s), so that another program's bursts fall
 * between lines rather than inside one. Does nothing otherwise.
 */
export async function untilIdle(): Promise<void> {
  if (!waitIdle) return
  const t0 = performance.now()
  const ticks0 = busyTicks()
  const cpu0 = process.cpuUsage()
  idleWaits.lines++
  let quiet = false
  while (!quiet && performance.now() - t0 < 30_000) {
    const others = watchOthers()
    await sleep(500)
    quiet = (others() ?? 0) < 0.1
  }
  if (!quiet) idleWaits.gaveUp++
  const elapsed = performance.now() - t0
  idleWaits.waitedMs += elapsed
  waited.elapsedMs += elapsed
  const ticks1 = busyTicks()
  if (ticks0 !== undefined && ticks1 !== undefined) waited.othersMs += othersMs(ticks0, ticks1, process.cpuUsage(cpu0))
}

/** A line of the latency-bound sections: one round trip at a time. */
export interface TripLine {
  readonly name: string
  trip(): PromiseLike<unknown>
}

/**
 * Times `trips` round trips of every line, one at a time, in blocks of `block`
 * per line in turn (the order reversed every other cycle). A lone round trip's
 * time depends on the machine's state (whether the other core sleeps, what else
 * runs), so the lines share that state over the whole run instead of each
 * getting its own slice of time. Returns each line's round-trip times (ms).
 */
export async function interleaved(lines: readonly TripLine[], trips: number, block: number): Promise<Map<string, number[]>> {
  const times = new Map(lines.map((line) => [line.name, [] as number[]]))
  for (let done = 0, cycle = 0; done < trips; done += block, cycle++) {
    const n = Math.min(block, trips - done)
    for (const line of ordered(lines, cycle)) {
      const t = times.get(line.name)!
      for (let i = 0; i < n; i++) {
        const t0 = performance.now()
        await line.trip()
        t.push(performance.now() - t0)
      }
    }
    if (cycle % 10 === 0) process.stderr.write('.')
  }
  return times
}
