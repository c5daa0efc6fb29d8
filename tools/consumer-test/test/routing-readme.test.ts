// @poolkit/routing's README examples, read from the README itself and run as a
// user copies them: each file is a ```js block whose first line names it
// (`// main.mjs: node main.mjs`), written into a project that installed the
// tarballs, then `node main.mjs`, which must print what the README says and
// exit 0 by itself.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { project } from './support/context.js'
import { exec, explain } from './support/exec.js'

const README = fileURLToPath(new URL('../../../packages/routing/README.md', import.meta.url))
const DEADLINE_MS = 30_000

/** The files of one README section (from its `## heading` to the next), by the name each block's first line gives. */
async function sectionFiles(heading: string): Promise<Map<string, string>> {
  const text = `\n${await readFile(README, 'utf8')}`
  const start = text.indexOf(`\n${heading}\n`)
  if (start === -1) throw new Error(`the routing README has no section ${JSON.stringify(heading)}`)
  const end = text.indexOf('\n## ', start + heading.length + 2)
  const section = text.slice(start, end === -1 ? undefined : end)
  const files = new Map<string, string>()
  for (const match of section.matchAll(/```js\n(.*?)```/gs)) {
    const code = match[1]!
    const name = /^\/\/ ([\w.-]+\.mjs):/.exec(code)?.[1]
    if (name !== undefined) files.set(name, code)
  }
  return files
}

/** Writes the section's files into a folder of the installed project and runs `node main.mjs` there. */
async function runSection(heading: string, into: string) {
  const files = await sectionFiles(heading)
  expect([...files.keys()]).toContain('main.mjs')
  const dir = join(project('node'), into)
  await mkdir(dir, { recursive: true })
  for (const [name, code] of files) await writeFile(join(dir, name), code)
  return exec(process.execPath, ['main.mjs'], { cwd: dir, timeoutMs: DEADLINE_MS })
}

describe("@poolkit/routing's README, as a user copies it", () => {
  it('the quick start (affinity in-process) prints each reply and exits 0 by itself', async () => {
    const result = await runSection('# @poolkit/routing', 'routing-readme-quick-start')
    expect(result.code, explain(result)).toBe(0)
    expect(result.stdout.trim().split('\n'), explain(result)).toEqual(['acme: order 1 for 30 EUR', 'globex: order 2 for 12 EUR', 'acme: order 3 for 99 EUR'])
  })

  it('affinity() on threads validates each document and exits 0 by itself', async () => {
    const result = await runSection('## `affinity(options)`', 'routing-readme-affinity')
    expect(result.code, explain(result)).toBe(0)
    expect(result.stdout.trim(), explain(result)).toBe('[ true, true, false ]')
  })

  it('capabilities() with combineExecutors() runs the gpu task on the gpu thread, fails the one no thread can run, and exits 0 by itself', async () => {
    const result = await runSection('## `capabilities(options)`', 'routing-readme-capabilities')
    expect(result.code, explain(result)).toBe(0)
    const lines = result.stdout.trim().split('\n')
    expect(lines[0], explain(result)).toBe('scene rendered on the GPU')
    expect(lines[1], explain(result)).toMatch(/^thumbnail rendered on (the GPU|a CPU)$/)
    expect(lines[2], explain(result)).toBe('ERR_POOL_NO_CAPABLE_WORKER')
    expect(result.stderr, explain(result)).toBe('')
  })
})
