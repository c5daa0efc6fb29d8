// Once per run, before any test file: pack every public package from its built
// dist (`pnpm pack`, which replaces `workspace:` ranges as publishing does), then install the tarballs
// with plain npm into the temporary projects of support/projects.ts, outside
// the workspace (under os.tmpdir(), where no pnpm link, workspace protocol or
// hoisted node_modules of ours can help). The projects are installed in
// parallel and shared by the test files, so npm runs four times per run, not
// once per test. Everything is removed at the end (POOLKIT_CONSUMER_KEEP=1 keeps
// it and prints where).
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TestProject } from 'vitest/node'
import { exec, explain } from './support/exec.js'
import { PROJECTS, VERSIONS } from './support/projects.js'
import type { ConsumerContext, PackedPackage, ProjectName, ProjectSpec } from './support/projects.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const PACKAGES = join(ROOT, 'packages')
const PACK_TIMEOUT_MS = 60_000
// A cold npm cache downloads vite, rolldown, typescript, bullmq...: minutes on a slow link.
const INSTALL_TIMEOUT_MS = 300_000
const NPM_FLAGS = ['--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline', '--no-update-notifier']

interface Manifest {
  name: string
  private?: boolean
  exports?: unknown
}

/** Every folder under packages/ whose package.json is not private, sorted by name. */
async function publicPackages(): Promise<{ name: string; dir: string }[]> {
  const found: { name: string; dir: string }[] = []
  for (const entry of await readdir(PACKAGES, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue
    const dir = join(PACKAGES, entry.name)
    const file = join(dir, 'package.json')
    if (!existsSync(file)) continue
    const manifest = JSON.parse(await readFile(file, 'utf8')) as Manifest
    if (manifest.private !== true) found.push({ name: manifest.name, dir })
  }
  return found.sort((a, b) => a.name.localeCompare(b.name))
}

/** The files an `exports` map points users at (every condition but the in-repo `@poolkit/source`). */
function exportTargets(exports: unknown, condition = ''): string[] {
  if (typeof exports === 'string') return condition === '@poolkit/source' ? [] : [exports]
  if (exports === null || typeof exports !== 'object') return []
  return Object.entries(exports).flatMap(([key, value]) => exportTargets(value, key.startsWith('.') ? condition : key))
}

/** Packs are built from dist: say so plainly when a build is missing. */
async function missingBuilds(packages: readonly { name: string; dir: string }[]): Promise<string[]> {
  const missing: string[] = []
  for (const { name, dir } of packages) {
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Manifest
    for (const target of exportTargets(manifest.exports)) {
      if (!target.endsWith('package.json') && !existsSync(join(dir, target))) missing.push(`${name}: ${target}`)
    }
  }
  return missing
}

/**
 * `pnpm pack` of every public package in one pnpm process (`-r` with a filter
 * per package: the same as `pnpm pack` in each package's folder, a few seconds
 * faster than nine processes). pnpm replaces the `workspace:` ranges on the way.
 */
async function packAll(packages: readonly { name: string; dir: string }[], destination: string): Promise<PackedPackage[]> {
  const filters = packages.flatMap(({ name }) => ['--filter', name])
  const result = await exec('pnpm', ['-r', ...filters, 'pack', '--pack-destination', destination, '--json'], { cwd: ROOT, timeoutMs: PACK_TIMEOUT_MS })
  if (result.code !== 0) throw new Error(`pnpm pack failed: ${explain(result)}`)
  // An array of { name, filename } (one object when a single package is packed).
  let reports: { name?: string; filename?: string }[]
  try {
    const parsed = JSON.parse(result.stdout.slice(result.stdout.search(/[[{]/))) as unknown
    reports = (Array.isArray(parsed) ? parsed : [parsed]) as typeof reports
  } catch {
    throw new Error(`pnpm pack printed no JSON report: ${explain(result)}`)
  }
  return packages.map(({ name, dir }) => {
    const filename = reports.find((report) => report.name === name)?.filename
    if (filename === undefined || !existsSync(filename)) throw new Error(`pnpm pack wrote no tarball for ${name}: ${explain(result)}`)
    return { name, dir, tarball: filename }
  })
}

async function install(root: string, name: ProjectName, spec: ProjectSpec, packed: readonly PackedPackage[]): Promise<{ dir: string; error?: string }> {
  const dir = join(root, name)
  await mkdir(dir, { recursive: true })
  // A user's ESM project (the READMEs' examples are ES modules; `.cjs` files opt out).
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: `poolkit-consumer-${name}`, version: '1.0.0', private: true, type: 'module' }, null, 2) + '\n')
  const tarballs = spec.poolkit.map((pkg) => {
    const found = packed.find((p) => p.name === pkg)
    if (found?.tarball === undefined) throw new Error(`no tarball for ${pkg}: is it still a public package under packages/?`)
    return found.tarball
  })
  const thirdParty = spec.thirdParty.map((pkg) => `${pkg}@${VERSIONS[pkg]}`)
  const result = await exec('npm', ['install', ...NPM_FLAGS, ...tarballs, ...thirdParty], { cwd: dir, timeoutMs: INSTALL_TIMEOUT_MS })
  return result.code === 0 && !result.timedOut ? { dir } : { dir, error: explain(result) }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = performance.now()
  const root = await mkdtemp(join(tmpdir(), 'poolkit-consumer-'))
  const names = Object.keys(PROJECTS) as ProjectName[]
  const projects = Object.fromEntries(names.map((name) => [name, { dir: join(root, name), error: 'not installed: packing failed' }])) as ConsumerContext['projects']
  let context: ConsumerContext
  const packages = await publicPackages()
  const missing = await missingBuilds(packages)
  if (missing.length > 0) {
    const packError = `the packages are packed from their builds, and these are missing (run \`pnpm build\`, or \`pnpm test:consumer\`, which builds first):\n  ${missing.join('\n  ')}`
    context = { root, packages, packError, projects }
  } else {
    try {
      const destination = join(root, 'tarballs')
      await mkdir(destination)
      const packed = await packAll(packages, destination)
      const packedMs = performance.now() - started
      const installed = await Promise.all(names.map((name) => install(root, name, PROJECTS[name], packed)))
      context = { root, packages: packed, projects: Object.fromEntries(names.map((name, i) => [name, installed[i]])) as ConsumerContext['projects'] }
      console.info(
        `[consumer-test] packed ${packed.length} packages in ${Math.round(packedMs)} ms, installed ${names.length} projects in ${Math.round(performance.now() - started - packedMs)} ms under ${root}`,
      )
    } catch (error) {
      context = { root, packages, packError: error instanceof Error ? error.message : String(error), projects }
    }
  }
  project.provide('consumer', context)

  return async () => {
    if (process.env['POOLKIT_CONSUMER_KEEP'] === '1') {
      console.info(`[consumer-test] kept ${root} (POOLKIT_CONSUMER_KEEP=1)`)
      return
    }
    await rm(root, { recursive: true, force: true, maxRetries: 3 })
  }
}
