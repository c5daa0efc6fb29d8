// What one file's parse counts, and the grammars that parse it: shared by the pool's
// worker (parse.worker.js), the page's main thread (main.js), the independent workers
// that measure the limit (limit.worker.js) and the reference parse in Node (count.mjs),
// so every line of the benchmark and the test runs the same code.
import { Language, Parser } from 'web-tree-sitter'

/** The largest file parsed; larger ones (bundles) are skipped and counted as skipped, as the parse-codebase demo does. */
export const MAX_BYTES = 2 * 1024 * 1024

/**
 * The languages parsed, by file extension. `grammar` is the file name of the grammar's
 * WebAssembly, as its npm package ships it; `declaration` says which top-level node types count as declarations.
 */
export const LANGUAGES = [
  { id: 'javascript', label: 'JavaScript', grammar: 'tree-sitter-javascript.wasm', extensions: ['.js', '.mjs', '.cjs', '.jsx'], declaration: isScriptDeclaration },
  { id: 'typescript', label: 'TypeScript', grammar: 'tree-sitter-typescript.wasm', extensions: ['.ts', '.mts', '.cts'], declaration: isScriptDeclaration },
  { id: 'tsx', label: 'TSX', grammar: 'tree-sitter-tsx.wasm', extensions: ['.tsx'], declaration: isScriptDeclaration },
  { id: 'json', label: 'JSON', grammar: 'tree-sitter-json.wasm', extensions: ['.json'], declaration: () => false },
  // A rule set or an at-rule (`@media`, `@import`, `@keyframes`: the grammar's `*_statement`s).
  { id: 'css', label: 'CSS', grammar: 'tree-sitter-css.wasm', extensions: ['.css'], declaration: (type) => type === 'rule_set' || type.endsWith('_statement') },
]

/** `function`, `class`, `const`/`let`/`var`, `interface`, `type`, `enum`, `namespace` and `export …` at the top of a file. */
function isScriptDeclaration(type) {
  return type.endsWith('_declaration') || type === 'export_statement' || type === 'module' || type === 'internal_module'
}

/** The language a file name is parsed as, or undefined for a file that is not parsed. */
export function languageOf(name) {
  const lower = name.toLowerCase()
  return LANGUAGES.find((language) => language.extensions.some((extension) => lower.endsWith(extension)))
}

/** Whether a file is parsed at all: a known language and at most MAX_BYTES. */
export function isParsed(name, size) {
  return size <= MAX_BYTES && languageOf(name) !== undefined
}

let initialised

/**
 * Loads web-tree-sitter and every grammar, once per thread: `loadGrammar(fileName)`
 * returns the grammar's bytes (fetched in a browser, read from disk in Node).
 * @returns a parser per language id
 */
export async function loadParsers(loadGrammar) {
  initialised ??= Parser.init()
  await initialised
  const parsers = new Map()
  await Promise.all(
    LANGUAGES.map(async (language) => {
      const parser = new Parser()
      parser.setLanguage(await Language.load(await loadGrammar(language.grammar)))
      parsers.set(language.id, parser)
    }),
  )
  return parsers
}

const decoder = new TextDecoder()

/**
 * Parses one file and counts its syntax tree: every node, the top-level
 * declarations, and the ERROR nodes tree-sitter recovered from. A file with a NUL
 * byte in its first 8 KiB is binary (a `.ts` can be an MPEG transport stream) and
 * is not parsed.
 * @returns the file's counts, or `{ language, bytes, binary: true }`
 */
export function countFile(parsers, name, bytes) {
  const language = languageOf(name)
  if (language === undefined) throw new TypeError(`${name} is not a file of a parsed language`)
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)
  if (view.subarray(0, 8192).includes(0)) return { language: language.id, bytes: view.byteLength, binary: true }
  const tree = parsers.get(language.id).parse(decoder.decode(view))
  try {
    const root = tree.rootNode
    let declarations = 0
    for (const child of root.namedChildren) if (child !== null && language.declaration(child.type)) declarations++
    const errors = root.hasError ? root.descendantsOfType('ERROR').length + countMissing(root) : 0
    return { language: language.id, bytes: view.byteLength, nodes: root.descendantCount, declarations, errors }
  } finally {
    tree.delete()
  }
}

/** MISSING nodes (a token tree-sitter inserted to recover) under a node that has an error; only walked where there is one. */
function countMissing(node) {
  let missing = 0
  const cursor = node.walk()
  try {
    for (;;) {
      if (cursor.currentNode.isMissing) missing++
      if (cursor.currentNode.hasError && cursor.gotoFirstChild()) continue
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) return missing
      }
    }
  } finally {
    cursor.delete()
  }
}

/** Per-language totals, all zero: `{ [language id]: { files, bytes, nodes, declarations, errorFiles, errors } }`, plus `skipped`. */
export function emptyTotals() {
  const totals = { skipped: { files: 0, bytes: 0 } }
  for (const language of LANGUAGES) totals[language.id] = { files: 0, bytes: 0, nodes: 0, declarations: 0, errorFiles: 0, errors: 0 }
  return totals
}

/** Adds one file's counts (from countFile) to the totals; a binary file counts as skipped. */
export function addFile(totals, counted) {
  if (counted.binary === true) {
    totals.skipped.files++
    totals.skipped.bytes += counted.bytes
    return
  }
  const t = totals[counted.language]
  t.files++
  t.bytes += counted.bytes
  t.nodes += counted.nodes
  t.declarations += counted.declarations
  if (counted.errors > 0) t.errorFiles++
  t.errors += counted.errors
}

/** Adds totals into totals (the independent workers each report theirs). */
export function addTotals(into, from) {
  for (const [key, counts] of Object.entries(from)) for (const [field, value] of Object.entries(counts)) into[key][field] += value
}
