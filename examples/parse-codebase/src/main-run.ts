// The job on the main thread alone: where a job too small for the pool runs
// fastest. The compiler is loaded here, on first use, so a run on the pool
// never loads it on the main thread.
import type { OnOutcome } from './outcome.js'
import type { SourceFile } from './walk.js'

/** Parses `files` one after another on this thread. */
export async function runOnMain(files: readonly SourceFile[], onOutcome: OnOutcome): Promise<void> {
  const { parsePath } = await import('./parse-path.js')
  for (const file of files) {
    try {
      const parsed = parsePath(file.path)
      onOutcome(parsed === null ? { file, binary: true } : { file, parsed })
    } catch (error) {
      onOutcome({ file, error })
    }
  }
}
