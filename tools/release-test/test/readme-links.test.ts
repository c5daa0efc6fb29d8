import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { GITHUB_BLOB, GITHUB_RAW, GITHUB_TREE, publicPackages, repoRoot } from './repo.js'

// A package README is shown on the registry's page, away from the repository:
// a relative link there (`../core/README.md`, `docs/chart.svg`) leads nowhere,
// since npmjs.com resolves neither against the tarball nor against the
// package's directory in the repository. So the rules for packages/*/README.md:
//
// - a link into the repository is absolute: GITHUB_BLOB + path for a file,
//   GITHUB_TREE + path for a folder, and the path must exist here;
// - an image is absolute too, GITHUB_RAW + path (a `blob` URL is an HTML page,
//   not an image), and the path must exist here. Images are NOT listed in
//   `files`: nothing in the tarball would refer to a copy (the README points at
//   the URL), and they would weigh more than the code (the metrics dashboard
//   screenshot is 117 KB, the packed package about 50 KB);
// - a link to a heading of the same README stays `#anchor`, and the heading
//   must exist (GitHub's and npm's slugs);
// - other absolute links (other sites) are left alone; they are not fetched.

interface Link {
  url: string
  image: boolean
  line: number
}

/** The lines of a README with those of fenced code blocks blanked, keeping line numbers. */
function proseLines(markdown: string): string[] {
  let fence: string | undefined
  return markdown.split('\n').map((line) => {
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1]
    if (fence !== undefined) {
      if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined
      return ''
    }
    if (marker !== undefined) {
      fence = marker
      return ''
    }
    return line
  })
}

/** Inline links and images, reference definitions and HTML `href`/`src` attributes. */
function extractLinks(markdown: string): Link[] {
  const links: Link[] = []
  proseLines(markdown)
    .map((line) => line.replace(/(`+)[^`]*?\1/g, '')) // inline code is not a link either
    .forEach((text, index) => {
      const line = index + 1
      for (const m of text.matchAll(/(!?)\[[^\]]*\]\(\s*<?([^)\s>]*)>?(?:\s+["'(][^)]*)?\)/g)) {
        links.push({ url: m[2] ?? '', image: m[1] === '!', line })
      }
      const reference = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(text)
      if (reference !== null) links.push({ url: reference[1] ?? '', image: false, line })
      for (const m of text.matchAll(/<(a|img|source)\b[^>]*?\s(href|src|srcset)\s*=\s*["']([^"']*)["']/gi)) {
        links.push({ url: m[3] ?? '', image: m[1]?.toLowerCase() !== 'a', line })
      }
    })
  return links
}

/**
 * The anchors GitHub (and npm) give the headings of a README: lower case,
 * punctuation dropped, spaces to hyphens, repeats numbered.
 */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  for (const text of proseLines(markdown)) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(text)?.[1]
    if (heading === undefined) continue
    const slug = heading
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]+>/g, '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-')
    const count = seen.get(slug) ?? 0
    seen.set(slug, count + 1)
    anchors.add(count === 0 ? slug : `${slug}-${count}`)
  }
  return anchors
}

/** What is wrong with a link, or undefined when nothing is. */
function problemWith(link: Link, anchors: Set<string>): string | undefined {
  const { url, image } = link
  if (url === '') return 'an empty link'
  if (url.startsWith('#')) {
    if (image) return 'an image must be an absolute URL'
    return anchors.has(decodeURIComponent(url.slice(1))) ? undefined : `no heading has the anchor ${url}`
  }
  if (!/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    return image
      ? `a relative image does not show on the registry's page: use ${GITHUB_RAW}<path from the repository root>`
      : `a relative link breaks on the registry's page: use ${GITHUB_BLOB}<path> (a file) ` + `or ${GITHUB_TREE}<path> (a folder)`
  }
  const inRepo = (prefix: string, kind: 'file' | 'folder'): string | undefined => {
    const target = decodeURIComponent(url.slice(prefix.length).split(/[?#]/)[0] ?? '')
    const full = path.join(repoRoot, target)
    if (target === '' || !fs.existsSync(full)) return `${target || '(nothing)'} is not in the repository`
    const isFolder = fs.statSync(full).isDirectory()
    if (kind === 'file' && isFolder) return `${target} is a folder: link it with ${GITHUB_TREE}`
    if (kind === 'folder' && !isFolder) return `${target} is a file: link it with ${GITHUB_BLOB}`
    return undefined
  }
  if (image) {
    if (url.startsWith(GITHUB_RAW)) return inRepo(GITHUB_RAW, 'file')
    if (url.startsWith(GITHUB_BLOB) || url.startsWith(GITHUB_TREE)) {
      return `an image of the repository must come from ${GITHUB_RAW} (a blob URL is an HTML page)`
    }
    return undefined
  }
  if (url.startsWith(GITHUB_BLOB)) return inRepo(GITHUB_BLOB, 'file')
  if (url.startsWith(GITHUB_TREE)) return inRepo(GITHUB_TREE, 'folder')
  if (url.startsWith(GITHUB_RAW)) return inRepo(GITHUB_RAW, 'file')
  return undefined
}

describe('package READMEs work on the registry page', () => {
  it('reads links, images, reference links and HTML, not code', () => {
    const sample = [
      '# Title `code`',
      'See [a](../a.md), ![b](docs/b.svg "title") and [c](#title-code).',
      '[ref]: ./ref.md',
      '<img src="x.png"> <a href="https://example.com">e</a>',
      '```ts',
      'const f = arr[0](x) // [not](a-link)',
      '```',
      'inline `[not](either)` code',
    ].join('\n')
    expect(extractLinks(sample).map(({ url, image }) => [url, image])).toEqual([
      ['../a.md', false],
      ['docs/b.svg', true],
      ['#title-code', false],
      ['./ref.md', false],
      ['x.png', true],
      ['https://example.com', false],
    ])
    const anchors = headingAnchors(sample)
    expect(anchors).toEqual(new Set(['title-code']))
    expect(problemWith({ url: '../a.md', image: false, line: 2 }, anchors)).toMatch(/relative link/)
    expect(problemWith({ url: 'docs/b.svg', image: true, line: 2 }, anchors)).toMatch(/relative image/)
    expect(problemWith({ url: '#nowhere', image: false, line: 2 }, anchors)).toMatch(/no heading/)
    expect(problemWith({ url: `${GITHUB_BLOB}README.md`, image: false, line: 1 }, anchors)).toBeUndefined()
    expect(problemWith({ url: `${GITHUB_BLOB}packages`, image: false, line: 1 }, anchors)).toMatch(/is a folder/)
    expect(problemWith({ url: `${GITHUB_BLOB}no/such.md`, image: false, line: 1 }, anchors)).toMatch(/not in the/)
    expect(problemWith({ url: `${GITHUB_BLOB}LICENSE`, image: true, line: 1 }, anchors)).toMatch(/must come from/)
  })

  it.each(publicPackages().map((p) => [p.manifest.name, p.dir] as const))('%s: every link and image is absolute or an anchor of its own README, and leads somewhere', (_name, dir) => {
    const readme = `${dir}/README.md`
    const markdown = fs.readFileSync(path.join(repoRoot, readme), 'utf8')
    const anchors = headingAnchors(markdown)
    const problems = extractLinks(markdown).flatMap((link) => {
      const problem = problemWith(link, anchors)
      return problem === undefined ? [] : [`${readme}:${link.line}: ${link.url}: ${problem}`]
    })
    expect(problems).toEqual([])
  })
})
