// The published type declarations as users compile them: the fixture projects
// in test/consumer-types/ are copied to a temporary folder whose node_modules
// links the packages, and compiled with tsc against their built dist/*.d.ts
// (resolved through each package's `exports`, `types` condition), with
// skipLibCheck off. A page project (lib ES2022 + DOM, no @types/node, no
// esnext.disposable) failed on `AsyncDisposable` in core's pool.d.ts before
// AsyncDisposableLike; the same page with the disposable lib must type
// `await using`; a Node project without DOM must compile too.
import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const require = createRequire(import.meta.url)
const TSC = require.resolve('typescript/bin/tsc')
const FIXTURE = fileURLToPath(new URL('./consumer-types/', import.meta.url))
const PACKAGES_DIR = fileURLToPath(new URL('../../', import.meta.url))
/** Every package a browser user may install, and the node adapter for the Node project. */
const BROWSER_PACKAGES = ['core', 'queue', 'scaler', 'breaker', 'metrics', 'web-adapter', 'resource', 'routing']
const PACKAGES = [...BROWSER_PACKAGES, 'node-adapter']

let dir: string

beforeAll(() => {
  const missing = PACKAGES.filter((name) => !existsSync(join(PACKAGES_DIR, name, 'dist', 'index.d.ts')))
  if (missing.length > 0) throw new Error(`build first (pnpm build): no dist/index.d.ts in ${missing.join(', ')}`)
  dir = mkdtempSync(join(tmpdir(), 'poolkit-consumer-types-'))
  cpSync(FIXTURE, dir, { recursive: true })
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }))
  mkdirSync(join(dir, 'node_modules', '@poolkit'), { recursive: true })
  for (const name of PACKAGES) symlinkSync(join(PACKAGES_DIR, name), join(dir, 'node_modules', '@poolkit', name), 'dir')
  // Only the Node project names it (types: ["node"]); the page projects have types: [].
  mkdirSync(join(dir, 'node_modules', '@types'))
  symlinkSync(join(require.resolve('@types/node/package.json'), '..'), join(dir, 'node_modules', '@types', 'node'), 'dir')
})

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

/** Runs tsc on one of the fixture's projects: its diagnostics and the files it compiled. */
function compile(project: string): Promise<{ errors: string[]; files: string[] }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TSC, '-p', project, '--listFiles', '--pretty', 'false'], { cwd: dir, maxBuffer: 16 * 1024 * 1024 }, (_error, stdout) => {
      const lines = stdout.split('\n').filter((line) => line !== '')
      resolve({ errors: lines.filter((line) => /error TS\d+/.test(line)), files: lines.filter((line) => !/error TS\d+/.test(line)) })
    })
  })
}

/** The packages whose built declarations a compilation read. */
const builtPackagesIn = (files: string[]): string[] => PACKAGES.filter((name) => files.some((file) => file.startsWith(join(PACKAGES_DIR, name, 'dist') + '/') && file.endsWith('.d.ts')))

describe('the published .d.ts in user projects (tsc, skipLibCheck off)', () => {
  it('compile in a page project with lib ES2022 + DOM, no @types/node and no esnext.disposable', async () => {
    const { errors, files } = await compile('tsconfig.page.json')
    expect(errors).toEqual([])
    expect(builtPackagesIn(files)).toEqual(BROWSER_PACKAGES)
    // Nothing pulled Node's types in behind the project's back (a /// <reference types="node" />).
    expect(files.filter((file) => file.includes('@types/node'))).toEqual([])
    expect(files.filter((file) => /lib\.esnext\.disposable\.d\.ts$|lib\.esnext\.d\.ts$/.test(file))).toEqual([])
  }, 60_000)

  it('type await using and using in a page project that has the esnext.disposable lib', async () => {
    const { errors, files } = await compile('tsconfig.page-disposable.json')
    expect(errors).toEqual([])
    expect(files.filter((file) => file.includes('@types/node'))).toEqual([])
  }, 60_000)

  it('compile in a Node project with lib ES2022 and @types/node, no DOM, where await using types too', async () => {
    const { errors, files } = await compile('tsconfig.node.json')
    expect(errors).toEqual([])
    expect(builtPackagesIn(files)).toEqual(PACKAGES)
    expect(files.filter((file) => /lib\.dom\.d\.ts$/.test(file))).toEqual([])
  }, 60_000)
})
