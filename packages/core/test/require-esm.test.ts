// CommonJS users: the packages are ESM only, and `require()` of them works on
// the Node versions their `engines` admit (20.19+ and 22.12+ load ES modules
// from require). A .cjs file in a project whose node_modules links the
// packages requires every entry of every public package, then checks that
// require and import share one instance of core (one PoolError class).
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const PUBLIC = ['core', 'queue', 'scaler', 'breaker', 'metrics', 'node-adapter', 'web-adapter', 'resource', 'bullmq', 'routing']
const ENGINES = '^20.19.0 || >=22.12.0'

interface Manifest {
  name: string
  engines?: { node?: string }
  exports: Record<string, unknown>
  scripts: Record<string, string>
}
const manifest = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest
const manifests = PUBLIC.map((name) => manifest(join(ROOT, 'packages', name)))
const entries = manifests.flatMap((m) =>
  Object.keys(m.exports)
    .filter((key) => key !== './package.json')
    .map((key) => (key === '.' ? m.name : `${m.name}/${key.slice(2)}`)),
)

let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'poolkit-require-'))
  mkdirSync(join(dir, 'node_modules', '@poolkit'), { recursive: true })
  for (const name of PUBLIC) symlinkSync(join(ROOT, 'packages', name), join(dir, 'node_modules', '@poolkit', name), 'dir')
  writeFileSync(
    join(dir, 'main.cjs'),
    `const entries = ${JSON.stringify(entries)}
const loaded = {}
for (const entry of entries) {
  try {
    loaded[entry] = Object.keys(require(entry)).length
  } catch (error) {
    loaded[entry] = String(error.code ?? error)
  }
}
const core = require('@poolkit/core')
import('@poolkit/core').then((esm) => {
  const error = new core.PoolClosedError()
  console.log(JSON.stringify({ loaded, sameClass: esm.PoolError === core.PoolError, instanceOfAcross: error instanceof esm.PoolError }))
})
`,
  )
})

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

describe('require() of the ESM packages', () => {
  it(`declares engines.node ${ENGINES} in every public package and the root, the versions where require() loads ES modules`, () => {
    expect(manifests.map((m) => [m.name, m.engines?.node])).toEqual(manifests.map((m) => [m.name, ENGINES]))
    expect(manifest(ROOT).engines?.node).toBe(ENGINES)
  })

  it('checks each package with attw for node16 from CommonJS too, not only ESM (cjs-resolves-to-esm is what require(esm) makes fine)', () => {
    for (const m of manifests) expect(m.scripts.publint, m.name).toContain('attw --pack . --profile node16 --ignore-rules cjs-resolves-to-esm')
  })

  it('loads every entry of every public package from a .cjs file, with one instance of core shared with import()', async () => {
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number]
    expect(major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19), `Node ${process.version} is outside engines`).toBe(true)
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['main.cjs'], { cwd: dir }, (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out))),
    )
    const report = JSON.parse(stdout) as { loaded: Record<string, number | string>; sameClass: boolean; instanceOfAcross: boolean }
    expect(Object.keys(report.loaded)).toEqual(entries)
    expect(Object.entries(report.loaded).filter(([, exports]) => typeof exports !== 'number' || exports === 0)).toEqual([])
    expect(report.sameClass).toBe(true)
    expect(report.instanceOfAcross).toBe(true)
  }, 30_000)
})
