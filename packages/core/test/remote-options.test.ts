import { describe, expect, it } from 'vitest'
import { resolveRemoteWorkerOptions } from '../src/remote.js'

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
    expect(resolveRemoteWorkerOptions({ prefetch: 0, prefetchMs: Infinity, concurrentTasksPerWorker: 4 })).toMatchObject({ prefetch: 0, prefetchMs: Infinity, concurrentTasksPerWorker: 4, maxHeapBytes: Infinity })
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
