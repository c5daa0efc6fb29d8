import { describe, expect, it } from 'vitest'
import { WorkerExitError } from '@poolkit/core'
import { processes, threads } from '../src/index.js'
import { execArgv, fixture } from './helpers.js'
import { kinds, openPool, recordWorkers, rejectionOf, threadKind } from './support.js'

describe.each(kinds)('worker options on $name', (kind) => {
  it('gives the workers options.env as their environment', async () => {
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs', { env: { ...process.env, POOLKIT_TEST_REGION: 'eu-west' } }), concurrency: 1 })
    await expect(pool.run('POOLKIT_TEST_REGION', { name: 'env' })).resolves.toBe('eu-west')
    // The main side's environment is not changed.
    expect(process.env.POOLKIT_TEST_REGION).toBeUndefined()
  })

  it("passes options.argv to the workers' process.argv", async () => {
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs', { argv: ['--mode', 'fast'] }), concurrency: 1 })
    await expect(pool.run(null, { name: 'argv' })).resolves.toEqual(['--mode', 'fast'])
  })
})

describe('resourceLimits on threads', () => {
  it('fails a task that runs its thread out of memory with WorkerExitError, and replaces the thread', async () => {
    const events = recordWorkers()
    const pool = openPool({
      executor: threadKind.executor('tasks.worker.mjs', { resourceLimits: { maxOldGenerationSizeMb: 32 } }),
      concurrency: 1,
      observers: [events.observer],
    })
    pool.on('error', () => {})
    await pool.ready()
    const error = await rejectionOf(pool.run(512, { name: 'leak' }))
    expect(error).toBeInstanceOf(WorkerExitError)
    expect(error.cause?.code).toBe('ERR_WORKER_OUT_OF_MEMORY')
    await expect(pool.run('ok', { name: 'echo' })).resolves.toBe('ok')
    expect(events.exited.map((e) => e.reason)).toEqual(['crashed'])
  })
})

describe('option checks', () => {
  const worker = fixture('tasks.worker.mjs')

  it.each([
    ['concurrentTasksPerWorker', { concurrentTasksPerWorker: 0 }, /options\.concurrentTasksPerWorker must be a positive integer or Infinity, got 0/],
    ['maxTasksPerWorker', { maxTasksPerWorker: 1.5 }, /options\.maxTasksPerWorker must be a positive integer or Infinity, got 1\.5/],
    ['maxHeapBeforeRecycle', { maxHeapBeforeRecycle: -1 }, /options\.maxHeapBeforeRecycle must be a positive number of megabytes or Infinity, got -1/],
    ['unresponsiveTimeout', { unresponsiveTimeout: -5 }, /options\.unresponsiveTimeout must be a non-negative number/],
    ['prefetch', { prefetch: -1 }, /options\.prefetch must be a non-negative integer, got -1/],
    ['prefetchMs', { prefetchMs: 0 }, /options\.prefetchMs must be a positive number of milliseconds or Infinity, got 0/],
    ['execArgv', { execArgv: [1] }, /options\.execArgv must be an array of strings/],
    ['env', { env: 'FOO=1' }, /options\.env must be an object, got "FOO=1"/],
  ])('rejects a bad %s when the executor is built, naming the option and the value', (_name, options, message) => {
    expect(() => threads(worker, { execArgv, ...options } as never)).toThrow(TypeError)
    expect(() => threads(worker, { execArgv, ...options } as never)).toThrow(message)
    expect(() => processes(worker, { execArgv, ...options } as never)).toThrow(message)
  })

  it('rejects an unknown serialization for processes and bad resourceLimits for threads', () => {
    expect(() => processes(worker, { execArgv, serialization: 'xml' as never })).toThrow(/options\.serialization must be one of 'advanced', 'json', got "xml"/)
    expect(() => threads(worker, { execArgv, resourceLimits: 5 as never })).toThrow(/options\.resourceLimits must be an object/)
  })

  it('rejects concurrentTasksPerWorker: Infinity with a RangeError', () => {
    expect(() => threads(worker, { execArgv, concurrentTasksPerWorker: Infinity })).toThrow(RangeError)
  })

  it('rejects a worker URL that is neither a URL nor a non-empty path', () => {
    expect(() => threads('' as never, { execArgv })).toThrow(/workerUrl must be a URL or a non-empty path string/)
    expect(() => processes(42 as never, { execArgv })).toThrow(/workerUrl must be a URL or a non-empty path string, got 42/)
  })

  it('accepts a worker file given as a path string', async () => {
    const pool = openPool({ executor: threads(new URL(worker).pathname, { execArgv }), concurrency: 1 })
    await expect(pool.run(2, { name: 'echo' })).resolves.toBe(2)
  })
})
