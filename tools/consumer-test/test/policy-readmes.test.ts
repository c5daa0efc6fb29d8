// The README examples of the policies that group tasks each their own way (labels and key functions,
// issue 23) and of core's deadlines, read from the READMEs themselves and run as a user copies them: the
// section's first ```ts block, written as main.mts into the project that installed the tarballs with npm,
// run with `node --import tsx main.mts` (tsx installed as a user would), which must print what the README's
// comments say and exit 0 by itself (no process.exit(): a timer left behind shows as a kill at the deadline).
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { project } from './support/context.js'
import { exec, explain } from './support/exec.js'

const DEADLINE_MS = 30_000

/** The first ```ts block after `heading` in `packages/<name>/README.md`. */
async function example(name: string, heading: string): Promise<string> {
  const text = await readFile(fileURLToPath(new URL(`../../../packages/${name}/README.md`, import.meta.url)), 'utf8')
  const at = text.indexOf(`\n${heading}\n`)
  if (at === -1) throw new Error(`the ${name} README has no section ${JSON.stringify(heading)}`)
  const code = /```ts\n(.*?)```/s.exec(text.slice(at))?.[1]
  if (code === undefined) throw new Error(`the ${name} README's section ${JSON.stringify(heading)} has no ts block`)
  return code
}

/** Runs the example in its own folder of the installed project; its stdout's lines once it exits 0. */
async function run(name: string, heading: string, into: string): Promise<string[]> {
  const dir = join(project('node'), into)
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'main.mts'), await example(name, heading))
  const result = await exec(process.execPath, ['--import', 'tsx', 'main.mts'], { cwd: dir, timeoutMs: DEADLINE_MS })
  expect(result.code, explain(result)).toBe(0)
  expect(result.timedOut, explain(result)).toBe(false)
  return result.stdout.trim().split('\n')
}

describe('the READMEs of labels, key functions and deadlines, as a user copies them', () => {
  it("@poolkit/core's deadline example fails the queued task with DeadlineExceededError, runs one with minTimeLeftMs, and exits 0 by itself", async () => {
    expect(await run('core', '### Deadlines', 'readme-core-deadlines')).toEqual(['gave up while it was queued', '300', '10'])
  })

  it("@poolkit/queue's fair queue by a label shares the pool by tenant while every task has the same key", async () => {
    expect(await run('queue', "### Grouping by something other than the task's key", 'readme-queue-key')).toEqual(['100 1 0', '1'])
  })

  it('@poolkit/metrics keeps its per-key series by a label, in the snapshot and in Prometheus', async () => {
    const lines = await run('metrics', "### Series by something other than the task's key", 'readme-metrics-key')
    expect(lines[0]).toBe("[ 'anthropic: 1', 'openai: 2' ]")
    const prometheus = lines.slice(1).join('\n')
    expect(prometheus).toContain('poolkit_key_tasks_total{pool="gateway",key="anthropic",outcome="completed"} 1')
    expect(prometheus).toContain('poolkit_key_tasks_total{pool="gateway",key="openai",outcome="completed"} 2')
  })

  it("@poolkit/breaker's one pool with several keys counts both tenants' calls to a provider in one bulkhead", async () => {
    expect(await run('breaker', '## One pool, several keys', 'readme-breaker-keys')).toEqual(["[ 'openai: a', 'openai: b', 'openai: c' ]", '1'])
  })
})
