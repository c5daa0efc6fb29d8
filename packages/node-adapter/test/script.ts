import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { fixture } from './helpers.js'

const script = fileURLToPath(fixture('pool-script.mjs'))

/** Runs pool-script.mjs in plain Node (so it loads the built packages) and parses what it prints. */
export function runScript(args: string[], timeoutMs: number): { status: number | null; signal: string | null; timedOut: boolean; output: any; stderr: string } {
  const result = spawnSync(process.execPath, ['--expose-gc', script, ...args], { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, NODE_OPTIONS: '' } })
  const timedOut = (result.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT'
  const lastLine = result.stdout.trim().split('\n').at(-1) ?? ''
  let output: any
  try {
    output = JSON.parse(lastLine)
  } catch {
    output = undefined
  }
  return { status: result.status, signal: result.signal, timedOut, output, stderr: result.stderr }
}
