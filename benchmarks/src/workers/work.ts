// The work every thread pool runs, shared by all worker files and by the
// sequential baseline on the main thread, so each library runs the same code.
import { createHash } from 'node:crypto'

/** Digests per CPU-bound task, and the buffer each digest reads. */
export const DIGESTS = 16
export const HASHED_BYTES = 64 * 1024

// Made once per thread (the task input is only an index), filled so no page is left untouched.
const data = new Uint8Array(HASHED_BYTES).map((_, i) => (i * 31) & 0xff)

/** The no-op task: returns its input. */
export const echo = (input: unknown): unknown => input

/** The CPU-bound task: 16 sha256 digests of 64 KiB (about a millisecond); each depends on the index, so none can be reused. */
export function hash(index: number): string {
  let digest = ''
  for (let k = 0; k < DIGESTS; k++) digest = createHash('sha256').update(data).update(`${index}:${k}:${digest}`).digest('hex')
  return digest
}

/** The transfer task's work: touches the moved buffer (so it is really read) and hands it back. */
export function touch(buffer: ArrayBuffer): ArrayBuffer {
  const bytes = new Uint8Array(buffer)
  bytes[0] = (bytes[0]! + 1) & 0xff
  return buffer
}
