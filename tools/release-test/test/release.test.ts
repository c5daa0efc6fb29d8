import { execFile } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { promisify } from 'node:util'
import * as zlib from 'node:zlib'
import * as semver from 'semver'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEPENDENCY_FIELDS, expectedMetadata, type Manifest, publicPackages, readManifest, repoRoot, workingTreeFiles } from './repo.js'

// What a release would publish, proven on a copy of the repository in a temp
// directory (the working tree as git sees it, pending changesets included; the
// root node_modules is linked, not copied, and nothing reaches the network):
//
// 1. `changeset version` gives every public package a 0.x version: the bump its
//    own changesets ask for (0.1.0 for all on the first release), and no major.
// 2. Each package's peer range on @poolkit/core admits the new core and every
//    later 0.x core, and no 1.x. The range is `workspace:0.x`, which pnpm
//    publishes as `0.x`. (`workspace:^` would publish `^0.1.0`, which a core
//    0.2.0 leaves; `workspace:>=0.1.0 <1` says the same as `0.x` but, while core
//    is still 0.0.0 in the repository, changesets reports every dependent as
//    "must depend on the current version" and drops it from its graph.)
// 3. `.changeset/config.json` sets `onlyUpdatePeerDependentsWhenOutOfRange`:
//    without it changesets major-bumps every peer dependent on any core minor,
//    in range or not. So a later core minor (simulated with one more changeset)
//    moves core alone: dependents stay as they are (at most a patch), as their
//    published peer range already admits it.
// 4. Core stays a peer dependency (one copy in a consumer's tree: errors are
//    checked with `instanceof`), never a dependency.
// 5. `pnpm pack` writes concrete ranges (no `workspace:`), the LICENSE, and the
//    repository, homepage and bugs fields into every public tarball.

const execFileP = promisify(execFile)
const CORE = '@poolkit/core'
const changesetBin = path.join(repoRoot, 'node_modules', '@changesets', 'cli', 'bin.js')
const BUMPS = ['patch', 'minor', 'major'] as const
type Bump = (typeof BUMPS)[number]

/** Copies the working tree's files into a fresh temp directory, linking the root node_modules. */
function copyRepository(): string {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'poolkit-release-'))
  for (const file of workingTreeFiles()) {
    const to = path.join(copy, file)
    fs.mkdirSync(path.dirname(to), { recursive: true })
    fs.copyFileSync(path.join(repoRoot, file), to)
  }
  // The changesets CLI loads the changelog generator from the copy's node_modules.
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(copy, 'node_modules'), 'junction')
  return copy
}

/** Runs `changeset version` in `cwd`; returns what it printed. */
async function changesetVersion(cwd: string): Promise<string> {
  const { stdout, stderr } = await execFileP(process.execPath, [changesetBin, 'version'], {
    cwd,
    env: { ...process.env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' },
  })
  return stdout + stderr
}

/** The bump each package's pending changesets ask for, from the frontmatter of `.changeset/*.md`. */
function pendingBumps(root: string): Map<string, Bump> {
  const bumps = new Map<string, Bump>()
  const dir = path.join(root, '.changeset')
  for (const file of fs.readdirSync(dir)) {
    if (!file.endsWith('.md') || file === 'README.md') continue
    const frontmatter = /^---\r?\n([\s\S]*?)\r?\n---/.exec(fs.readFileSync(path.join(dir, file), 'utf8'))?.[1] ?? ''
    for (const m of frontmatter.matchAll(/^\s*["']?([^"':\s]+)["']?\s*:\s*(patch|minor|major)\s*$/gm)) {
      const name = m[1] as string
      const bump = m[2] as Bump
      const before = bumps.get(name)
      if (before === undefined || BUMPS.indexOf(bump) > BUMPS.indexOf(before)) bumps.set(name, bump)
    }
  }
  return bumps
}

function versionsIn(root: string, names: string[]): Record<string, string> {
  const dirs = new Map(publicPackages(root).map((p) => [p.manifest.name, p.dir]))
  return Object.fromEntries(names.map((name) => [name, readManifest(path.join(root, dirs.get(name) ?? '', 'package.json')).version]))
}

/** The range a `workspace:` spec is published as (pnpm's rewrite), for a dependency at `version`. */
function publishedRange(spec: string, version: string): string {
  const range = spec.replace(/^workspace:/, '')
  if (range === '*') return version
  if (range === '^' || range === '~') return `${range}${version}`
  return range
}

/** Why a peer range on core does not suit the 0.x line from `coreVersion` on, or undefined when it does. */
function peerRangeProblem(range: string, coreVersion: string): string | undefined {
  if (semver.validRange(range) === null) return `${range} is not a semver range`
  if (!semver.satisfies(coreVersion, range)) return `${range} does not admit core ${coreVersion}`
  if (!semver.subset(`>=${coreVersion} <1.0.0-0`, range)) return `${range} leaves out a later 0.x core`
  if (semver.intersects(range, '>=1.0.0')) return `${range} admits core 1.x, untested`
  return undefined
}

interface Tarball {
  files: Map<string, Buffer>
}

/** Reads a .tgz (ustar, with pax long names) into memory: path inside the tarball to contents. */
function readTarball(file: string): Tarball {
  const data = zlib.gunzipSync(fs.readFileSync(file))
  const files = new Map<string, Buffer>()
  let offset = 0
  let longName: string | undefined
  while (offset + 512 <= data.length) {
    const header = data.subarray(offset, offset + 512)
    if (header.every((byte) => byte === 0)) break
    const field = (start: number, length: number): string =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '')
    const size = Number.parseInt(field(124, 12).trim() || '0', 8)
    const type = field(156, 1)
    const prefix = field(257, 6).startsWith('ustar') ? field(345, 155) : ''
    const body = data.subarray(offset + 512, offset + 512 + size)
    offset += 512 + Math.ceil(size / 512) * 512
    if (type === 'x') {
      longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1]
      continue
    }
    const name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100))
    longName = undefined
    if (type === '0' || type === '') files.set(name, Buffer.from(body))
  }
  return { files }
}

/**
 * Packs each public package of `root` with `pnpm pack`. pnpm resolves a
 * `workspace:` range from the installed dependency, so each package gets its
 * workspace dependencies linked into its node_modules first (the copy has no
 * install of its own).
 */
async function packAll(root: string, destination: string): Promise<Map<string, Tarball>> {
  const dirByName = new Map<string, string>()
  for (const file of workingTreeFiles()) {
    if (path.posix.basename(file) !== 'package.json') continue
    const { name } = readManifest(path.join(root, file))
    if (typeof name === 'string') dirByName.set(name, path.join(root, path.posix.dirname(file)))
  }
  const packages = publicPackages(root)
  const tarballs = await Promise.all(
    packages.map(async ({ dir, manifest }) => {
      const pkgDir = path.join(root, dir)
      for (const field of DEPENDENCY_FIELDS) {
        for (const [name, spec] of Object.entries(manifest[field] ?? {})) {
          const target = dirByName.get(name)
          if (!spec.startsWith('workspace:') || target === undefined) continue
          const link = path.join(pkgDir, 'node_modules', name)
          if (fs.existsSync(link)) continue
          fs.mkdirSync(path.dirname(link), { recursive: true })
          fs.symlinkSync(target, link, 'junction')
        }
      }
      const out = path.join(destination, dir.replace(/\//g, '-'))
      fs.mkdirSync(out, { recursive: true })
      await execFileP('pnpm', ['pack', '--pack-destination', out], {
        cwd: pkgDir,
        env: { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false' },
      })
      const tgz = fs.readdirSync(out).find((file) => file.endsWith('.tgz'))
      if (tgz === undefined) throw new Error(`pnpm pack wrote no tarball for ${manifest.name}`)
      return [manifest.name, readTarball(path.join(out, tgz))] as const
    }),
  )
  return new Map(tarballs)
}

const packages = publicPackages()
const names = packages.map((p) => p.manifest.name)
const dependents = packages.filter((p) => p.manifest.name !== CORE)

let copy: string
let pending: Map<string, Bump>
let before: Record<string, string>
let first: { output: string; versions: Record<string, string>; manifests: Map<string, Manifest> }
let second: { versions: Record<string, string>; manifests: Map<string, Manifest> }
let tarballs: Map<string, Tarball>

function manifestsIn(root: string): Map<string, Manifest> {
  return new Map(publicPackages(root).map((p) => [p.manifest.name, p.manifest]))
}

beforeAll(async () => {
  copy = copyRepository()
  pending = pendingBumps(copy)
  before = versionsIn(copy, names)

  const output = await changesetVersion(copy)
  first = { output, versions: versionsIn(copy, names), manifests: manifestsIn(copy) }

  tarballs = await packAll(copy, path.join(copy, '.release-test-tarballs'))

  // A later release that changes core alone, by a minor.
  fs.writeFileSync(path.join(copy, '.changeset', 'release-test-core-minor.md'), `---\n"${CORE}": minor\n---\n\nA later core minor (written by the release test).\n`)
  await changesetVersion(copy)
  second = { versions: versionsIn(copy, names), manifests: manifestsIn(copy) }
})

afterAll(() => {
  if (copy !== undefined) fs.rmSync(copy, { recursive: true, force: true })
})

describe('the next release (changeset version on a copy of the repository)', () => {
  it('gives each public package the 0.x version its own changesets ask for, and no major', () => {
    const expected = Object.fromEntries(
      names.map((name) => {
        const bump = pending.get(name)
        const old = before[name] as string
        return [name, bump === undefined ? old : semver.inc(old, bump)]
      }),
    )
    expect(first.versions).toEqual(expected)
    for (const [name, version] of Object.entries(first.versions)) {
      expect(semver.major(version), `${name} would be released as ${version}`).toBe(0)
    }
  })

  it('releases every public package as 0.1.0 the first time (while core is unreleased)', () => {
    if (before[CORE] !== '0.0.0') return // released already: the test above covers later releases
    expect(first.versions).toEqual(Object.fromEntries(names.map((name) => [name, '0.1.0'])))
  })

  it('runs without complaints about workspace ranges', () => {
    expect(first.output).not.toMatch(/must depend on the current version/)
    expect(first.output).toMatch(/All files have been updated/)
  })

  it.each(dependents.map((p) => [p.manifest.name] as const))('%s keeps core as a peer whose range admits the new core and every later 0.x core', (name) => {
    const manifest = first.manifests.get(name) as Manifest
    expect(manifest.dependencies?.[CORE], 'core must stay a peer: one copy per tree').toBeUndefined()
    expect(manifest.optionalDependencies?.[CORE]).toBeUndefined()
    const spec = manifest.peerDependencies?.[CORE]
    expect(spec, `${name} has no peer dependency on core`).toMatch(/^workspace:/)
    const coreVersion = first.versions[CORE] as string
    expect(peerRangeProblem(publishedRange(spec as string, coreVersion), coreVersion)).toBeUndefined()
  })

  it('has changesets bump peer dependents only when core leaves their range', () => {
    const config = JSON.parse(fs.readFileSync(path.join(repoRoot, '.changeset', 'config.json'), 'utf8')) as {
      ___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH?: { onlyUpdatePeerDependentsWhenOutOfRange?: boolean }
      fixed?: string[][]
    }
    expect(config.___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH?.onlyUpdatePeerDependentsWhenOutOfRange).toBe(true)
    // A fixed group would move every package on each core minor.
    expect((config.fixed ?? []).flat().filter((name) => names.includes(name))).toEqual([])
  })
})

describe('a later core minor', () => {
  it('bumps core by a minor, still 0.x', () => {
    const core = second.versions[CORE] as string
    expect(core).toBe(semver.inc(first.versions[CORE] as string, 'minor'))
    expect(semver.major(core)).toBe(0)
  })

  it.each(dependents.map((p) => [p.manifest.name] as const))('%s moves at most by a patch, and its peer range admits the new core', (name) => {
    const from = first.versions[name] as string
    const to = second.versions[name] as string
    expect([null, 'patch'], `${name} went from ${from} to ${to}`).toContain(semver.diff(from, to))
    const coreVersion = second.versions[CORE] as string
    const spec = second.manifests.get(name)?.peerDependencies?.[CORE] as string
    expect(peerRangeProblem(publishedRange(spec, coreVersion), coreVersion)).toBeUndefined()
  })
})

describe('the packed tarballs (pnpm pack after changeset version)', () => {
  const rootLicense = fs.readFileSync(path.join(repoRoot, 'LICENSE'))

  it.each(packages.map((p) => [p.manifest.name, p.dir] as const))('%s carries LICENSE, README and a package.json with concrete ranges and its metadata', (name, dir) => {
    const tarball = tarballs.get(name) as Tarball
    expect(tarball.files.get('package/LICENSE')?.equals(rootLicense), 'LICENSE missing or not the root one').toBe(true)
    expect(tarball.files.has('package/README.md')).toBe(true)
    // Images are linked by absolute URL (see readme-links.test.ts), not shipped.
    expect([...tarball.files.keys()].filter((file) => file.startsWith('package/docs/'))).toEqual([])

    const raw = tarball.files.get('package/package.json')?.toString('utf8') ?? ''
    expect(raw, 'pnpm left a workspace: range in the tarball').not.toMatch(/workspace:/)
    const packed = JSON.parse(raw) as Manifest
    expect(packed.version).toBe(first.versions[name])
    expect({ repository: packed.repository, homepage: packed.homepage, bugs: packed.bugs }).toEqual(expectedMetadata(dir))
    if (name !== CORE) {
      const range = packed.peerDependencies?.[CORE] ?? ''
      const coreVersion = first.versions[CORE] as string
      expect(range).toBe(publishedRange(first.manifests.get(name)?.peerDependencies?.[CORE] ?? '', coreVersion))
      expect(peerRangeProblem(range, coreVersion)).toBeUndefined()
    }
  })
})
