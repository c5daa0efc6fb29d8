// What the tarballs themselves hold, read straight from the .tgz files that
// `pnpm pack` wrote (the same files the consumer projects installed).
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { consumer } from './support/context.js'

const PUBLIC = [
  '@poolkit/breaker',
  '@poolkit/bullmq',
  '@poolkit/core',
  '@poolkit/metrics',
  '@poolkit/node-adapter',
  '@poolkit/queue',
  '@poolkit/resource',
  '@poolkit/routing',
  '@poolkit/scaler',
  '@poolkit/web-adapter',
]

/** The regular files of a .tgz, by path (npm tarballs put everything under `package/`). */
function readTarball(file: string): Map<string, Buffer> {
  const tar = gunzipSync(readFileSync(file))
  const files = new Map<string, Buffer>()
  let offset = 0
  let longName: string | undefined
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512)
    if (header.every((byte) => byte === 0)) break
    const field = (start: number, length: number): string =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '')
    const size = parseInt(field(124, 12).trim() || '0', 8)
    const type = field(156, 1)
    const prefix = field(345, 155)
    const name = longName ?? (prefix === '' ? field(0, 100) : `${prefix}/${field(0, 100)}`)
    const body = tar.subarray(offset + 512, offset + 512 + size)
    longName = undefined
    if (type === 'L') longName = body.toString('utf8').replace(/\0.*$/s, '')
    else if (type === '0' || type === '') files.set(name, Buffer.from(body))
    offset += 512 + Math.ceil(size / 512) * 512
  }
  return files
}

/** Every string value at any depth whose value starts with `workspace:`, as `path: value`. */
function workspaceRanges(value: unknown, path = ''): string[] {
  if (typeof value === 'string') return value.startsWith('workspace:') ? [`${path}: ${value}`] : []
  if (value === null || typeof value !== 'object') return []
  return Object.entries(value).flatMap(([key, inner]) => workspaceRanges(inner, path === '' ? key : `${path}.${key}`))
}

function tarballOf(name: string): string {
  const context = consumer()
  if (context.packError !== undefined) throw new Error(`packing failed:\n${context.packError}`)
  const tarball = context.packages.find((p) => p.name === name)?.tarball
  if (tarball === undefined) throw new Error(`${name} was not packed: it is not a public package under packages/`)
  return tarball
}

describe('the packed tarballs', () => {
  it('every public package under packages/ was packed', () => {
    const context = consumer()
    expect(context.packError, context.packError).toBeUndefined()
    expect(context.packages.map((p) => p.name)).toEqual(expect.arrayContaining(PUBLIC))
    expect(context.packages.filter((p) => p.tarball === undefined).map((p) => p.name)).toEqual([])
  })

  for (const name of PUBLIC) {
    it(`${name}: has a LICENSE file`, () => {
      const files = [...readTarball(tarballOf(name)).keys()]
      expect(
        files.filter((file) => /^package\/LICEN[CS]E(\.md|\.txt)?$/i.test(file)),
        `no LICENSE at the root of ${name}'s tarball; it holds:\n  ${files.filter((f) => !f.includes('/dist/') && !f.includes('/src/')).join('\n  ')}`,
      ).toHaveLength(1)
    })

    it(`${name}: no \`workspace:\` range left in its package.json`, () => {
      const manifest = readTarball(tarballOf(name)).get('package/package.json')
      expect(manifest, `${name}'s tarball has no package/package.json`).toBeDefined()
      const left = workspaceRanges(JSON.parse(manifest?.toString('utf8') ?? '{}'))
      expect(left, `${name}'s packed package.json still has workspace: ranges, which npm cannot install:\n  ${left.join('\n  ')}`).toEqual([])
    })
  }
})
