// The reference parse in Node: `node examples/web-parse/count.mjs <folder>` prints the
// per-language counts of every file under the folder as JSON, parsed one after another
// with the same web-tree-sitter, grammars and counting code the page runs
// (tree-count.js). The browser test and `pnpm bench web-parse` check the page's
// counts against it.
import { lstatSync, readdirSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { basename, dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { addFile, countFile, emptyTotals, isParsed, loadParsers } from './tree-count.js'

export { isParsed }

const require = createRequire(import.meta.url)

/** Which npm package ships each grammar's WebAssembly. */
export const GRAMMAR_PACKAGES = {
  'tree-sitter-javascript.wasm': 'tree-sitter-javascript',
  'tree-sitter-typescript.wasm': 'tree-sitter-typescript',
  'tree-sitter-tsx.wasm': 'tree-sitter-typescript',
  'tree-sitter-json.wasm': 'tree-sitter-json',
  'tree-sitter-css.wasm': 'tree-sitter-css',
}

/** The path of a grammar's .wasm in its installed package. */
export function grammarPath(fileName) {
  const pkg = GRAMMAR_PACKAGES[fileName]
  if (pkg === undefined) throw new Error(`no grammar ${fileName}`)
  return join(dirname(require.resolve(`${pkg}/package.json`)), fileName)
}

/** The folder of the installed web-tree-sitter (its .js and .wasm). */
export function webTreeSitterDir() {
  return dirname(fileURLToPath(import.meta.resolve('web-tree-sitter')))
}

/**
 * Every file under `folder`, as `<input webkitdirectory>` names them
 * (`webkitRelativePath`: the folder's own name, then the path inside it, with `/`),
 * sorted by name. Symbolic links are not followed.
 */
export function listFolder(folder) {
  const root = resolve(folder)
  const files = []
  const visit = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) visit(path)
      else if (entry.isFile()) files.push({ path, name: [basename(root), ...relative(root, path).split(sep)].join('/'), size: lstatSync(path).size })
    }
  }
  visit(root)
  return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/** Parses every file of the folder that the page parses, one after another; returns the totals (tree-count.js's emptyTotals shape). */
export async function countFolder(folder) {
  const parsers = await loadParsers((fileName) => readFile(grammarPath(fileName)))
  const totals = emptyTotals()
  for (const file of listFolder(folder)) {
    if (isParsed(file.name, file.size)) addFile(totals, countFile(parsers, file.name, readFileSync(file.path)))
    else {
      totals.skipped.files++
      totals.skipped.bytes += file.size
    }
  }
  return totals
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const folder = process.argv[2]
  if (folder === undefined) {
    console.error('usage: node examples/web-parse/count.mjs <folder>')
    process.exit(2)
  }
  const started = performance.now()
  const totals = await countFolder(folder)
  console.log(JSON.stringify({ folder: resolve(folder), ms: Math.round(performance.now() - started), totals }, null, 2))
}
