/** What the memory suite's child process measures and prints, as one JSON line. */
export const MEMORY_LIBRARIES = ['poolkit', 'poolkit submit()', 'p-queue', 'p-limit', 'minimal limiter'] as const
export type MemoryLibrary = (typeof MEMORY_LIBRARIES)[number]

export interface MemoryReport {
  library: MemoryLibrary
  tasks: number
  baseRss: number
  baseHeap: number
  /** After queuing every task and a full GC, before any task ran. */
  queuedRss: number
  queuedHeap: number
  /** The process's peak resident set over its whole life (queuing and draining). */
  maxRss: number
  queueMs: number
  drainMs: number
  completed: number
}
