import type { Executor } from '@poolkit/core'
import { threadChannel } from './internal/channel.js'
import { nodeExecutor } from './internal/node-executor.js'
import { describe, resolveNodeOptions } from './internal/validate.js'
import type { ThreadsOptions } from './options.js'

const RESOURCE_LIMITS = ['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'] as const

/**
 * An executor that runs tasks on `worker_threads`. The worker file calls
 * `expose()` from `@poolkit/node-adapter/worker`. The pool's `concurrency` is
 * the number of threads (default `os.availableParallelism()`); each runs
 * `concurrentTasksPerWorker` tasks at once.
 * @param workerUrl - the worker file: a `file:` URL (`new URL('./worker.js', import.meta.url)`) or a path
 * @example
 * ```ts
 * import { createPool } from '@poolkit/core'
 * import { threads } from '@poolkit/node-adapter'
 *
 * const pool = createPool<Uint8Array, string>({ executor: threads(new URL('./hash.worker.js', import.meta.url)) })
 * const digest = await pool.run(bytes, { name: 'sha256' })
 * await pool.close()
 * ```
 * @public
 */
export function threads<I = unknown, O = unknown>(workerUrl: string | URL, options?: ThreadsOptions): Executor<I, O> {
  const resolved = resolveNodeOptions(workerUrl, options, 'clone')
  const limits = options?.resourceLimits
  if (limits !== undefined) {
    if (typeof limits !== 'object' || limits === null) throw new TypeError(`options.resourceLimits must be an object, got ${describe(limits)}`)
    // Node ignores a limit that is not a number: say so now rather than run without it.
    for (const key of RESOURCE_LIMITS) {
      const value = limits[key]
      if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)) {
        throw new TypeError(`options.resourceLimits.${key} must be a finite number of megabytes above 0, got ${describe(value)}`)
      }
    }
  }
  return nodeExecutor<I, O>('threads', resolved, () => threadChannel(resolved, options ?? {}))
}
