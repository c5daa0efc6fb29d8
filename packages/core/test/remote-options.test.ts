import { describe, expect, it } from 'vitest'
import { createPool } from '../src/index.js'
import { remoteExecutor, resolveRemoteWorkerOptions } from '../src/remote.js'
import type { Channel, ChannelExit } from '../src/remote.js'
import { PROTOCOL_VERSION } from '../src/protocol/messages.js'

/** A channel to a worker that reports ready and runs nothing; told to close (or killed), it exits. */
function idleChannel(): Channel {
  let onExit: ((exit: ChannelExit) => void) | undefined
  const exit = (): Promise<void> => {
    const listener = onExit
    onExit = undefined
    listener?.({ exitCode: 0 })
    return Promise.resolve()
  }
  return {
    transfers: false,
    post: (post) => {
      if ((Array.isArray(post) ? post : [post]).some((m) => (m as { type?: string } | undefined)?.type === 'close')) void exit()
    },
    onMessage: (listener) => queueMicrotask(() => listener({ type: 'ready', protocol: PROTOCOL_VERSION, functions: ['default'], cooperative: [] })),
    onError: () => undefined,
    onExit: (listener) => {
      onExit = listener
    },
    kill: exit,
  }
}

describe('resolveRemoteWorkerOptions', () => {
  it('fills in the defaults both adapters share, with the heap limit the adapter gives', () => {
    expect(resolveRemoteWorkerOptions({}, 64 * 2 ** 20)).toEqual({
      concurrentTasksPerWorker: 1,
      prefetch: 256,
      prefetchMs: 3,
      maxTasksPerWorker: Infinity,
      maxHeapBytes: 64 * 2 ** 20,
      unresponsiveTimeout: Infinity,
      abortTimeout: 100,
      closeTimeout: 5000,
      startTimeout: 30_000,
      errorClasses: undefined,
    })
    expect(resolveRemoteWorkerOptions({ prefetch: 0, prefetchMs: Infinity, concurrentTasksPerWorker: 4 })).toMatchObject({
      prefetch: 0,
      prefetchMs: Infinity,
      concurrentTasksPerWorker: 4,
      maxHeapBytes: Infinity,
    })
  })

  it.each([
    [{ concurrentTasksPerWorker: 0 }, 'options.concurrentTasksPerWorker must be a positive integer or Infinity, got 0'],
    [{ prefetch: -1 }, 'options.prefetch must be a non-negative integer, got -1'],
    [{ prefetchMs: 0 }, 'options.prefetchMs must be a positive number of milliseconds or Infinity, got 0'],
    [{ abortTimeout: -1 }, 'options.abortTimeout must be a non-negative number of milliseconds or Infinity, got -1'],
    [{ startTimeout: 0 }, 'options.startTimeout must be a positive number of milliseconds or Infinity, got 0'],
    [{ startTimeout: '1s' }, 'options.startTimeout must be a positive number of milliseconds or Infinity, got "1s"'],
    [{ errorClasses: 3 }, 'options.errorClasses must be an array of error classes or a Map of them by name, got 3'],
  ])('refuses %o with a TypeError naming the option and the value', (settings, message) => {
    expect(() => resolveRemoteWorkerOptions(settings as never)).toThrow(new TypeError(message))
  })

  it('refuses an infinite concurrentTasksPerWorker with a RangeError', () => {
    expect(() => resolveRemoteWorkerOptions({ concurrentTasksPerWorker: Infinity })).toThrow(RangeError)
  })
})

describe('remoteExecutor', () => {
  it('hands each worker concurrentTasksPerWorker + prefetch tasks, of which concurrentTasksPerWorker run at once: what stats().capacity and stats().concurrency count', async () => {
    const executor = remoteExecutor('idle', { ...resolveRemoteWorkerOptions({ concurrentTasksPerWorker: 2 }), defaultConcurrency: 5 }, idleChannel)
    expect(executor).toMatchObject({ tasksPerWorker: 2 + 256, runsPerWorker: 2 })
    const pool = createPool({ executor })
    expect(pool.stats()).toMatchObject({ targetWorkers: 5, concurrency: 10, capacity: 5 * 258 })
    await pool.close()
    const defaults = createPool({ executor: remoteExecutor('idle', { ...resolveRemoteWorkerOptions({}), defaultConcurrency: 5 }, idleChannel) })
    // The figure: 5 workers read 1,285 (5 × (1 + 256)) as the tasks that may run at once.
    expect(defaults.stats()).toMatchObject({ concurrency: 5, capacity: 1285 })
    await defaults.close()
  })
})
