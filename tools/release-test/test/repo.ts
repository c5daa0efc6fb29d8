import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The repository on GitHub, `owner/name`: the ONE place the release checks name it.
 *
 * Assumed (the repository has no git remote yet). Every public package.json
 * (`repository`, `homepage`, `bugs`) and every absolute link in the package
 * READMEs must agree with it, which these tests check; renaming the repository
 * is a search-and-replace of `poolkit/poolkit` across the tree.
 */
export const REPOSITORY = 'poolkit/poolkit'
/** The branch that README links and `homepage` point at. */
export const BRANCH = 'main'

export const GITHUB = `https://github.com/${REPOSITORY}`
/** Links to files (`blob`) and folders (`tree`) of the repository, as the package READMEs write them. */
export const GITHUB_BLOB = `${GITHUB}/blob/${BRANCH}/`
export const GITHUB_TREE = `${GITHUB}/tree/${BRANCH}/`
/** Images in the package READMEs: raw files, which render as images on the registry's page and on GitHub. */
export const GITHUB_RAW = `https://raw.githubusercontent.com/${REPOSITORY}/${BRANCH}/`

/** What each public package.json must say about where it comes from. */
export function expectedMetadata(dir: string): { repository: object; homepage: string; bugs: string } {
  return {
    repository: { type: 'git', url: `git+${GITHUB}.git`, directory: dir },
    homepage: `${GITHUB}/tree/${BRANCH}/${dir}#readme`,
    bugs: `${GITHUB}/issues`,
  }
}

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))

export interface Manifest {
  name: string
  version: string
  private?: boolean
  license?: string
  repository?: unknown
  homepage?: string
  bugs?: unknown
  files?: string[]
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
}

export const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const

export function readManifest(file: string): Manifest {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest
}

/** A workspace package: its directory relative to the repository root (posix) and its package.json. */
export interface WorkspacePackage {
  dir: string
  manifest: Manifest
}

/** The publishable packages: `packages/<name>` that are not private. */
export function publicPackages(root: string = repoRoot): WorkspacePackage[] {
  const found: WorkspacePackage[] = []
  for (const name of fs.readdirSync(path.join(root, 'packages')).sort()) {
    const file = path.join(root, 'packages', name, 'package.json')
    if (!fs.existsSync(file)) continue
    const manifest = readManifest(file)
    if (manifest.private !== true) found.push({ dir: `packages/${name}`, manifest })
  }
  return found
}

/**
 * The files of the working tree that git would commit: tracked ones (as they are
 * now, edits included) and untracked ones that are not ignored, so a new
 * changeset or package counts before it is committed. Paths are posix, relative
 * to the repository root.
 */
export function workingTreeFiles(root: string = repoRoot): string[] {
  const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  // A tracked file deleted in the working tree is listed but not there: leave it out.
  return [...new Set(out.split('\0'))].filter((file) => file !== '' && fs.existsSync(path.join(root, file)))
}
