// What bundlers read in the published JavaScript. Vite and webpack parse it,
// but some plugins find workers with a regular expression over the source,
// comments included (Rollup's @surma/rollup-plugin-off-main-thread): a
// worker construction spelled out in a doc comment of dist/*.js made that
// plugin try to bundle a file that does not exist, and fail the build. The
// examples of the factory form live on WebWorkerFactory, a type, whose
// comments reach only the .d.ts files.
import { readdirSync, readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const packagesDir = fileURLToPath(new URL('../../', import.meta.url))

/** The .js files under a package's dist/, by path. */
function builtJs(name: string): Map<string, string> {
  const dir = join(packagesDir, name, 'dist')
  if (!existsSync(dir)) throw new Error(`build first (pnpm turbo run build --filter @poolkit/${name}): ${dir} is missing`)
  const files = new Map<string, string>()
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.js')) {
      const path = join(entry.parentPath, entry.name)
      files.set(path, readFileSync(path, 'utf8'))
    }
  }
  return files
}

describe('the built JavaScript a browser bundle pulls in (core, web-adapter)', () => {
  const files = new Map([...builtJs('core'), ...builtJs('web-adapter')])

  it('spells out no worker construction on a new URL(), not even in comments', () => {
    expect(files.size).toBeGreaterThan(10)
    const hits = [...files].filter(([, text]) => /new\s+(?:Shared)?Worker\s*\(\s*new\s+URL\s*\(/.test(text)).map(([path]) => path)
    expect(hits).toEqual([])
  })

  it('resolves no new URL(..., import.meta.url), which bundlers would take for an asset to emit', () => {
    const hits = [...files].filter(([, text]) => /import\.meta\.url/.test(text)).map(([path]) => path)
    expect(hits).toEqual([])
  })
})
