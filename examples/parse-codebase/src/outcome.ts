// What parsing one file came to, however it ran (pool or main thread), and the
// tally of a whole run.
import type { ParsedFile } from './parse.js'
import type { SourceFile } from './walk.js'

/** One file's outcome: parsed (its counts), binary (skipped) or failed (the error). */
export type FileOutcome = { file: SourceFile; parsed: ParsedFile } | { file: SourceFile; binary: true } | { file: SourceFile; error: unknown }

/** Called once per file as it finishes, in finishing order. */
export type OnOutcome = (outcome: FileOutcome) => void
