// The process's active handles (process.getActiveResourcesInfo()), as the
// reliability runs compare them before a pool and after its close.

/**
 * Active handles and requests, without the standard streams' (a TTY or the
 * pipe to the parent that runs this process).
 */
export function activeHandles(): string[] {
  return process.getActiveResourcesInfo().filter((name) => name !== 'TTYWrap' && name !== 'PipeWrap')
}

/**
 * The active handles once they match `expected`, or after 200 ms of looking:
 * libuv closes handles a few event-loop turns after close() resolves.
 */
export async function settledHandles(expected: readonly string[]): Promise<string[]> {
  const same = (a: readonly string[]): boolean => a.length === expected.length && [...a].sort().every((v, i) => v === [...expected].sort()[i])
  for (let i = 0; i < 40 && !same(activeHandles()); i++) await new Promise((resolve) => setTimeout(resolve, 5))
  return activeHandles()
}
