// Types of count.mjs (the reference parse in Node), for the browser test and the web-parse benchmark.

/** One language's counts (tree-count.js). */
export interface LanguageTotals {
  files: number
  bytes: number
  nodes: number
  declarations: number
  errorFiles: number
  errors: number
}
/** The languages parsed (tree-count.js's LANGUAGES). */
export type LanguageId = 'javascript' | 'typescript' | 'tsx' | 'json' | 'css'
/** Per-language totals, keyed by language id, plus the files not parsed. */
export type Totals = Record<LanguageId, LanguageTotals> & { skipped: { files: number; bytes: number } }
/** A file under a folder, named as `<input webkitdirectory>` names it. */
export interface ListedFile {
  path: string
  name: string
  size: number
}
/** Whether the page parses a file: a known language (by extension) and at most 2 MiB. */
export declare function isParsed(name: string, size: number): boolean
/** Which npm package ships each grammar's WebAssembly. */
export declare const GRAMMAR_PACKAGES: Readonly<Record<string, string>>
/** The path of a grammar's .wasm in its installed package. */
export declare function grammarPath(fileName: string): string
/** The folder of the installed web-tree-sitter. */
export declare function webTreeSitterDir(): string
/** Every file under a folder, sorted by name; symbolic links are not followed. */
export declare function listFolder(folder: string): ListedFile[]
/** Parses every file of the folder that the page parses, one after another. */
export declare function countFolder(folder: string): Promise<Totals>
