// The order the files are parsed in, and the split of the machine's-limit
// measurement: both follow the files' sizes, since parse time follows size.

/** What the scheduling needs to know of a file. */
export interface Sized {
  /** Absolute path: the tie-break, so two runs of the same tree see the same order. */
  readonly path: string
  /** Size in bytes. */
  readonly size: number
}

const bySizeThenPath = (a: Sized, b: Sized): number => b.size - a.size || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)

/**
 * The files largest first (ties by path), as a new array. Parsed in this
 * order, the last files to start are the smallest, so no worker is left
 * parsing one large file while the others have run out of work.
 */
export function largestFirst<F extends Sized>(files: readonly F[]): F[] {
  return [...files].sort(bySizeThenPath)
}

/**
 * Splits the files into two halves of about the same bytes: largest first,
 * each file to the half with fewer bytes so far (the greedy
 * longest-processing-time rule, within a largest file of an even split).
 * Every file goes to exactly one half; each half keeps largest-first order.
 */
export function splitInTwo<F extends Sized>(files: readonly F[]): [F[], F[]] {
  const halves: [F[], F[]] = [[], []]
  const bytes = [0, 0]
  for (const file of largestFirst(files)) {
    const i = bytes[0]! <= bytes[1]! ? 0 : 1
    halves[i].push(file)
    bytes[i]! += file.size
  }
  return halves
}
