import type { Executor } from '@poolkit/core'
import { processChannel } from './internal/channel.js'
import { nodeExecutor } from './internal/node-executor.js'
import { describe, resolveNodeOptions } from './internal/validate.js'
import type { ProcessesOptions } from './options.js'

/**
 * An executor that runs tasks in child processes (`child_process.fork`), for
 * isolation: a crash, a native fault or running out of memory kills only that
 * child, which the pool replaces. The worker file calls `expose()` from
 * `@poolkit/node-adapter/worker`. Messages are copied (structured clone by
 * default); `transfer` lists are copied too.
 * @param workerUrl - the worker file: a `file:` URL or a path
 * @example
 * ```ts
 * const pool = createPool({ executor: processes(new URL('./render.worker.js', import.meta.url)), concurrency: 4 })
 * ```
 * @public
 */
export function processes<I = unknown, O = unknown>(workerUrl: string | URL, options?: ProcessesOptions): Executor<I, O> {
  const serialization = typeof options === 'object' && options !== null ? options.serialization : undefined
  if (serialization !== undefined && serialization !== 'advanced' && serialization !== 'json') {
    throw new TypeError(`options.serialization must be one of 'advanced', 'json', got ${describe(serialization)}`)
  }
  const resolved = resolveNodeOptions(workerUrl, options, serialization ?? 'advanced')
  return nodeExecutor<I, O>('processes', resolved, () => processChannel(resolved, options ?? {}))
}
