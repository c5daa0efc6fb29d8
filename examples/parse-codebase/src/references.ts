// The two references of the summary, measured on the same files as the pool:
// one single-threaded process, and two side by side each taking half (the
// machine's limit). With --sample-mb, on a sample scaled up by bytes.
import { timeProcesses } from './processes.js'
import { splitInTwo } from './schedule.js'
import type { SourceFile } from './walk.js'

/** Which files the references parse: all of them, or every k-th one and the factor to scale by. */
export interface ReferenceFiles {
  mode: 'all' | 'sample'
  files: SourceFile[]
  bytes: number
  /** Total bytes over the sample's bytes (1 for all). */
  scale: number
}

/** One reference's measurement. */
export interface Reference {
  /** Wall time measured, start-up included (ms). */
  ms: number
  /** For a sample, `ms` with its parse part scaled up by bytes; otherwise `ms`. */
  estimatedMs: number
  /** The slowest child's start (node's boot and loading the compiler, ms). */
  startMs: number
  /** Bytes each process parsed (one entry, or the two halves). */
  bytes: number[]
}

/**
 * All the files when they come to at most `sampleBytes`, otherwise every k-th
 * one in walk order (a sample spread over the whole tree, the same each run).
 */
export function referenceFiles(files: readonly SourceFile[], sampleBytes: number): ReferenceFiles {
  const total = files.reduce((sum, f) => sum + f.size, 0)
  const step = total <= sampleBytes ? 1 : Math.ceil(total / sampleBytes)
  const sample = step === 1 ? [...files] : files.filter((_, i) => i % step === 0)
  const bytes = sample.reduce((sum, f) => sum + f.size, 0)
  return { mode: step === 1 ? 'all' : 'sample', files: sample, bytes, scale: bytes > 0 ? total / bytes : 1 }
}

async function measure(groups: SourceFile[][], scale: number): Promise<Reference> {
  const timing = await timeProcesses(groups.map((g) => g.map((f) => f.path)))
  const slowestParse = Math.max(...timing.children.map((c) => c.parseMs))
  return {
    ms: timing.wallMs,
    estimatedMs: timing.wallMs + slowestParse * (scale - 1),
    startMs: Math.max(...timing.children.map((c) => c.startMs)),
    bytes: groups.map((g) => g.reduce((sum, f) => sum + f.size, 0)),
  }
}

/** The files parsed by one single-threaded process. */
export function timeOneThread(ref: ReferenceFiles): Promise<Reference> {
  return measure([ref.files], ref.scale)
}

/** The files split into two halves of about equal bytes, each parsed by its own process, both at once. */
export function timeTwoProcesses(ref: ReferenceFiles): Promise<Reference> {
  return measure(splitInTwo(ref.files), ref.scale)
}
