#!/usr/bin/env node
// Generates the API reference in docs/api/ from api-extractor's doc models, or
// (with --check) checks that the committed docs/api/ is what they generate.
//
//   node scripts/api-docs.mjs          rewrite docs/api/   (pnpm docs:api)
//   node scripts/api-docs.mjs --check  compare, exit 1 if stale (pnpm docs:api:check)
//
// The doc models are packages/<name>/temp/<report>.api.json, written by
// `pnpm api` / `pnpm api:update` (turbo restores them from its cache with the
// `api` task). Each api-extractor config of a public package is one entry point:
// api-extractor.json is the package's main entry, api-extractor.<x>.json a
// subpath such as `@poolkit/core/worker`, matched to package.json `exports` by
// its mainEntryPointFilePath.
//
// api-documenter documents one entry point per package (it reads only the first
// and names pages after the package), so each subpath entry is handed to it as a
// package of its own, named after its report (`@poolkit/core-worker`, pages
// `core-worker.*.md`). References in signatures and {@link} tags are pointed at
// the entry that exports the name (the entry itself first, then the package's
// main entry, then its other entries), and the pseudo names are printed as the
// import paths users write (`@poolkit/core/worker`) in the generated pages.

import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, posix, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const docsDir = join(root, 'docs', 'api')
const workDir = join(root, 'temp', 'api-docs')
const check = process.argv.includes('--check')

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'))
const base = readJson(join(root, 'api-extractor.base.json'))

/** Every documented entry point: `{ pkg, subpath, docName, displayName, modelFile }`, main entries first. */
function findEntryPoints() {
  const entries = []
  for (const dir of readdirSync(join(root, 'packages')).sort()) {
    const pkgDir = join(root, 'packages', dir)
    if (!existsSync(join(pkgDir, 'package.json'))) continue
    const pkgJson = readJson(join(pkgDir, 'package.json'))
    if (pkgJson.private) continue
    const [scope, unscoped] = pkgJson.name.split('/')
    const configs = readdirSync(pkgDir)
      .filter((f) => /^api-extractor\.([\w-]+\.)?json$/.test(f))
      .sort((a, b) => (a === 'api-extractor.json' ? -1 : b === 'api-extractor.json' ? 1 : a < b ? -1 : 1))
    for (const configFile of configs) {
      const config = readJson(join(pkgDir, configFile))
      const fill = (path) => path.replaceAll('<projectFolder>', pkgDir).replaceAll('<unscopedPackageName>', unscoped)
      const dts = fill(config.mainEntryPointFilePath ?? base.mainEntryPointFilePath)
      const types = './' + relative(pkgDir, dts).split('\\').join('/')
      const subpath = Object.entries(pkgJson.exports ?? {}).find(([, target]) => typeof target === 'object' && target.types === types)?.[0]
      if (subpath === undefined) {
        throw new Error(`${pkgJson.name}: ${configFile} documents ${types}, which no "exports" entry names as its types`)
      }
      const modelFile = fill(config.docModel?.apiJsonFilePath ?? base.docModel.apiJsonFilePath)
      const report = config.apiReport?.reportFileName ?? unscoped
      entries.push({
        pkg: pkgJson.name,
        subpath,
        docName: subpath === '.' ? pkgJson.name : `${scope}/${report}`,
        displayName: posix.join(pkgJson.name, subpath),
        modelFile,
      })
    }
  }
  return entries
}

/** The top-level names a doc model's entry point exports. */
function exportedNames(model) {
  return new Set(model.members[0].members.map((member) => member.name))
}

/** Rewrites the doc models so each subpath entry is a package of its own, and writes them to `dir`. */
function writeModels(entries, dir) {
  const models = new Map()
  for (const entry of entries) {
    if (!existsSync(entry.modelFile)) {
      throw new Error(`${relative(root, entry.modelFile)} is missing: run \`pnpm api\` (or \`pnpm api:update\`) first`)
    }
    const model = readJson(entry.modelFile)
    models.set(entry, { model, names: exportedNames(model) })
  }
  // Which doc package a reference `<pkg>!<name>` should point to, seen from `from`.
  const target = (pkg, name, from) => {
    if (from.pkg === pkg && models.get(from).names.has(name)) return from.docName
    return entries.find((entry) => entry.pkg === pkg && models.get(entry).names.has(name))?.docName ?? pkg
  }
  const packages = new Set(entries.map((entry) => entry.pkg))
  const rewriteReference = (reference, from) => {
    const bang = reference.indexOf('!')
    const pkg = reference.slice(0, bang)
    if (bang < 0 || !packages.has(pkg)) return reference
    const [, local, name, rest] = /^(~?)([^.#:~(]*)(.*)$/s.exec(reference.slice(bang + 1))
    if (name === '') return (from.pkg === pkg ? from.docName : pkg) + reference.slice(bang)
    if (local === '') return `${target(pkg, name, from)}!${name}${rest}`
    // A name the entry uses but does not export (`~Executor`): link it where
    // another entry of the package exports it, if one does.
    const exporter = entries.find((entry) => entry.pkg === pkg && models.get(entry).names.has(name))
    return exporter ? `${exporter.docName}!${name}${rest}` : `${from.pkg === pkg ? from.docName : pkg}!~${name}${rest}`
  }
  // {@link Name...} and {@link @scope/pkg#Name...} in TSDoc comments
  const rewriteLinks = (comment, from) =>
    comment.replace(/\{@link\s+((@[\w-]+\/[\w-]+)#)?([A-Za-z_$][\w$]*)(?![\w$:])/g, (whole, _, pkg, name) => {
      const docName = target(pkg ?? from.pkg, name, from)
      return docName === (pkg ?? from.docName) ? whole : `{@link ${docName}#${name}`
    })
  const walk = (node, from) => {
    if (Array.isArray(node)) return node.forEach((child) => walk(child, from))
    if (node === null || typeof node !== 'object') return
    for (const [key, value] of Object.entries(node)) {
      if (key === 'canonicalReference' && typeof value === 'string') node[key] = rewriteReference(value, from)
      else if (key === 'docComment' && typeof value === 'string') node[key] = rewriteLinks(value, from)
      else walk(value, from)
    }
  }
  // api-documenter names a page after the export alone, so a type and a value of
  // the same name (`ErrorCode`, the constant and the union of its values) share
  // one page, the value's (rushstack#3942): the type's summary and declaration
  // go into the value's remarks, and its row links to that page.
  const mergeSameNamed = (entry, model) => {
    const byName = new Map()
    for (const member of model.members[0].members) {
      const key = member.name.toLowerCase()
      byName.set(key, [...(byName.get(key) ?? []), member])
    }
    for (const group of byName.values()) {
      const kinds = new Set(group.map((member) => member.kind))
      if (kinds.size < 2) continue
      const value = group.find((member) => member.kind === 'Variable')
      const type = group.find((member) => member.kind === 'TypeAlias')
      if (kinds.size !== 2 || !value || !type) {
        console.warn(`${entry.displayName}: ${group.map((m) => `${m.name} (${m.kind})`).join(', ')} share one page`)
        continue
      }
      const lines = type.docComment.split('\n').map((line) => line.replace(/^\s*\/?\*+\/?\s?/, ''))
      const tag = lines.findIndex((line) => line.startsWith('@'))
      const summary = lines
        .slice(0, tag < 0 ? undefined : tag)
        .join('\n')
        .trim()
      const declaration = type.excerptTokens.map((token) => token.text).join('')
      const remarks = [`The type \`${type.name}\`: ${summary}`, '', '```typescript', declaration, '```']
      value.docComment = addRemarks(value.docComment, remarks)
    }
  }
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  for (const entry of entries) {
    const { model } = models.get(entry)
    walk(model, entry)
    mergeSameNamed(entry, model)
    model.name = entry.docName
    model.canonicalReference = `${entry.docName}!`
    model.members[0].canonicalReference = `${entry.docName}!`
    // The package page (and its row in index.md) opens with the import path;
    // its remarks link the entry points of the same package to each other.
    const others = entries.filter((other) => other.pkg === entry.pkg && other !== entry)
    const lines = [`Import from \`${entry.displayName}\`.`]
    if (others.length > 0) {
      const links = others.map((other) => `{@link ${other.docName}# | ${other.displayName}}`)
      lines.push('', '@remarks', `Other entry points of \`${entry.pkg}\`: ${links.join(', ')}.`)
    }
    model.docComment = `/**\n${lines.map((line) => ` * ${line}`.trimEnd()).join('\n')}\n */\n`
    writeFileSync(join(dir, `${entry.docName.split('/')[1]}.api.json`), JSON.stringify(model, null, 2))
  }
}

/** Adds lines to a TSDoc comment's `@remarks`, which it opens if the comment has none. */
function addRemarks(comment, lines) {
  const commentLines = comment.trimEnd().split('\n')
  const close = commentLines.length - 1 // the line with the closing `*/`
  const remarks = commentLines.findIndex((line) => /^\s*\*\s*@remarks\b/.test(line))
  const isBlockTag = (line) => /^\s*\*\s*@(?!remarks\b)[a-zA-Z]+/.test(line)
  const added = lines.map((line) => ` * ${line}`.trimEnd())
  if (remarks >= 0) {
    const end = commentLines.findIndex((line, i) => i > remarks && (isBlockTag(line) || i === close))
    commentLines.splice(end, 0, ' *', ...added)
  } else {
    const end = commentLines.findIndex((line, i) => i > 0 && (isBlockTag(line) || i === close))
    commentLines.splice(end, 0, ' * @remarks', ...added)
  }
  return commentLines.join('\n') + '\n'
}

/**
 * Runs api-documenter into `outDir`; returns the pages as they are committed,
 * by file name: LF line ends (its markdown action writes CRLF), and the pseudo
 * package names printed as import paths.
 */
function generate(entries, outDir) {
  const modelDir = join(workDir, 'model')
  writeModels(entries, modelDir)
  const bin = join(root, 'node_modules', '@microsoft', 'api-documenter', 'bin', 'api-documenter')
  const run = spawnSync(process.execPath, [bin, 'markdown', '-i', modelDir, '-o', outDir], { encoding: 'utf8' })
  // api-documenter lists every page it writes; show only what is not routine.
  const log = `${run.stdout}${run.stderr}`.split('\n').filter((line) => line.trim() !== '' && !/^(Reading|Writing|Deleting old output)|api-documenter \d/.test(line))
  if (run.status !== 0 || log.some((line) => /warning|error/i.test(line))) console.log(log.join('\n'))
  if (run.status !== 0) throw new Error(`api-documenter exited with ${run.status}`)
  const renames = entries
    .filter((entry) => entry.subpath !== '.')
    .flatMap((entry) => {
      const unscoped = entry.docName.split('/')[1]
      const display = entry.displayName.slice(entry.displayName.indexOf('/') + 1)
      return [
        [new RegExp(`^## ${unscoped} package$`, 'gm'), `## ${display} entry point`],
        [new RegExp(`${entry.docName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`, 'g'), entry.displayName],
      ]
    })
  const pages = new Map()
  for (const file of readdirSync(outDir).sort()) {
    const text = readFileSync(join(outDir, file), 'utf8').replaceAll('\r\n', '\n')
    pages.set(
      file,
      renames.reduce((acc, [pattern, replacement]) => acc.replace(pattern, replacement), text),
    )
  }
  return pages
}

/** The files of docs/api that differ from `pages`, are missing from it, or are extra. */
function compare(pages) {
  const committed = existsSync(docsDir) ? readdirSync(docsDir) : []
  const problems = []
  for (const file of [...new Set([...pages.keys(), ...committed])].sort()) {
    if (!committed.includes(file)) problems.push(`missing  docs/api/${file}`)
    else if (!pages.has(file)) problems.push(`extra    docs/api/${file}`)
    else if (!Buffer.from(pages.get(file)).equals(readFileSync(join(docsDir, file)))) {
      problems.push(`differs  docs/api/${file}`)
    }
  }
  return problems
}

const entries = findEntryPoints()
if (check) {
  const pages = generate(entries, join(workDir, 'check'))
  const problems = compare(pages)
  if (problems.length > 0) {
    const shown = problems.slice(0, 40)
    if (problems.length > shown.length) shown.push(`... and ${problems.length - shown.length} more`)
    console.error(`docs/api is not what the API doc models generate (${problems.length} files):\n  ${shown.join('\n  ')}`)
    console.error('run pnpm api:update and commit docs/api')
    process.exit(1)
  }
  console.log(`docs/api is current (${pages.size} files, ${entries.length} entry points)`)
} else {
  // api-documenter empties its output folder first: docs/api holds only what it generates.
  const pages = generate(entries, docsDir)
  for (const [file, text] of pages) writeFileSync(join(docsDir, file), text)
  console.log(`wrote docs/api (${pages.size} files, ${entries.length} entry points)`)
}
