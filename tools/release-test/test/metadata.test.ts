import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { expectedMetadata, publicPackages, repoRoot } from './repo.js'

// What the registry shows beside each package: its licence text and where its
// source, home page and issue tracker are. The URLs come from REPOSITORY in
// repo.ts (an assumption until the repository has a remote).

const packages = publicPackages()
const rootLicense = fs.readFileSync(path.join(repoRoot, 'LICENSE'), 'utf8')

describe('licence and metadata', () => {
  it('finds the public packages, core among them', () => {
    expect(packages.map((p) => p.manifest.name)).toContain('@poolkit/core')
    expect(packages.length).toBeGreaterThan(1)
  })

  it('has an MIT LICENSE at the root, copyright poolkit contributors', () => {
    expect(rootLicense).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} poolkit contributors\n/)
    expect(rootLicense).toContain('THE SOFTWARE IS PROVIDED "AS IS"')
  })

  it.each(packages.map((p) => [p.manifest.name, p] as const))('%s says MIT and carries the root LICENSE in its directory (npm and pnpm always pack LICENSE)', (_name, { dir, manifest }) => {
    expect(manifest.license).toBe('MIT')
    const file = path.join(repoRoot, dir, 'LICENSE')
    expect(fs.existsSync(file), `${dir}/LICENSE is missing: copy the root LICENSE there`).toBe(true)
    expect(fs.readFileSync(file, 'utf8'), `${dir}/LICENSE differs from the root LICENSE`).toBe(rootLicense)
  })

  it.each(packages.map((p) => [p.manifest.name, p] as const))('%s names its repository, home page and issue tracker', (_name, { dir, manifest }) => {
    expect({ repository: manifest.repository, homepage: manifest.homepage, bugs: manifest.bugs }).toEqual(expectedMetadata(dir))
  })
})
