// Runs one liveness scenario (liveness/scenarios/<file>.mjs) as a plain `node`
// process, with nothing keeping it alive, and reads the JSON line its harness
// (liveness/harness.mjs) prints as it exits. liveness-check.ts judges the run.
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

/** A promise a scenario awaited, as the harness saw it settle (or not). */
export interface TrackedPromise {
  readonly label: string
  readonly state: 'pending' | 'fulfilled' | 'rejected'
  /** When it was tracked and when it settled (ms since the scenario started), and the difference. */
  readonly since: number
  readonly at?: number
  readonly ms?: number
  readonly value?: unknown
  readonly error?: ErrorSummary
}

export interface ErrorSummary {
  readonly name?: string
  readonly code?: string
  readonly message?: string
  readonly thrown?: string
  readonly cause?: ErrorSummary
}

/** The one JSON line a scenario prints as it exits. */
export interface LivenessReport {
  readonly exitCode: number
  /** 'SIGTERM' when the test stopped it at its deadline. */
  readonly signal?: string
  readonly exitAt: number
  readonly pending: readonly string[]
  readonly marks: Readonly<Record<string, number>>
  readonly notes: Readonly<Record<string, unknown>>
  readonly tracked: readonly TrackedPromise[]
}

export interface ScenarioRun {
  /** The exit code, or null when it was killed. */
  readonly code: number | null
  /** Whether the deadline passed with the process still running. */
  readonly hung: boolean
  readonly report: LivenessReport | undefined
  /** Processes of its group (workers, redis-server) still running after it exited, killed since. */
  readonly leftovers: readonly string[]
  readonly stderr: string
  readonly ms: number
}

/** Process groups of scenarios still running, killed if this process exits first. */
const groups = new Set<number>()
process.once('exit', () => {
  for (const group of groups) killGroup(group)
})

function killGroup(group: number): void {
  try {
    process.kill(-group, 'SIGKILL')
  } catch {
    // Nothing left in it.
  }
}

/** The live (not zombie) processes of a process group, from /proc (Linux; elsewhere none are seen). */
function groupMembers(group: number): string[] {
  if (process.platform !== 'linux') return []
  const found: string[] = []
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(pgrp) !== group || state === 'Z') continue
      // The end of the command line names the script (a worker file); a preload may make the start long.
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
      found.push(`${pid} ${command.length > 160 ? `...${command.slice(-160)}` : command}`)
    } catch {
      // It exited meanwhile.
    }
  }
  return found
}

/**
 * Runs `node liveness/scenarios/<file> ...args` in a process group of its own.
 * At `deadlineMs` it sends SIGTERM (the harness then prints what is still
 * pending) and, 2 s later, SIGKILL to the group. Once the scenario exited, any
 * process left in its group (a worker that outlived its pool) is reported and killed.
 */
export function runScenario(file: string, args: readonly string[], deadlineMs: number): Promise<ScenarioRun> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL(`../liveness/scenarios/${file}`, import.meta.url)), ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    const group = child.pid!
    groups.add(group)
    let stdout = ''
    let stderr = ''
    let hung = false
    let code: number | null = null
    let leftovers: string[] = []
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
    let kill: NodeJS.Timeout | undefined
    const term = setTimeout(() => {
      hung = true
      child.kill('SIGTERM')
      kill = setTimeout(() => killGroup(group), 2_000)
    }, deadlineMs)
    let done = false
    let checked = false
    let closed = false
    const finish = (): void => {
      if (done) return
      done = true
      clearTimeout(term)
      clearTimeout(kill)
      groups.delete(group)
      const line = stdout
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{"liveness":1'))
      let report: LivenessReport | undefined
      try {
        report = line === undefined ? undefined : (JSON.parse(line) as LivenessReport)
      } catch {
        report = undefined
      }
      resolve({ code, hung, report, leftovers, stderr, ms: performance.now() - started })
    }
    child.on('error', reject)
    child.on('close', () => {
      closed = true
      if (checked) finish()
    })
    child.on('exit', (exitCode) => {
      code = exitCode
      const check = (): void => {
        leftovers = groupMembers(group)
        checked = true
        if (leftovers.length > 0) killGroup(group)
        if (closed) return finish()
        // A leftover may have held stdout open: read what came, and stop waiting for it.
        setTimeout(() => {
          child.stdout.destroy()
          child.stderr.destroy()
          finish()
        }, 500)
      }
      // Workers still on their way out get up to a second before they count as left behind.
      const deadline = performance.now() + 1_000
      const wait = (): void => {
        if (groupMembers(group).length === 0 || performance.now() >= deadline) check()
        else setTimeout(wait, 50)
      }
      wait()
    })
  })
}
