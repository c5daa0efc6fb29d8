import { afterEach, describe, expect, it, vi } from 'vitest'
import { defaultConcurrency, webWorkers } from '../src/index.js'

const fallback = { echo: (input: unknown) => input }
const url = 'https://example.test/worker.js'

describe('webWorkers() options', () => {
  it.each([
    [{ type: 'shared' }, "options.type must be 'module' or 'classic', got \"shared\""],
    [{ name: 7 }, 'options.name must be a string, got 7'],
    [{ concurrentTasksPerWorker: 0 }, 'options.concurrentTasksPerWorker must be a positive integer or Infinity, got 0'],
    [{ concurrentTasksPerWorker: 1.5 }, 'options.concurrentTasksPerWorker must be a positive integer or Infinity, got 1.5'],
    [{ prefetch: -1 }, 'options.prefetch must be a non-negative integer, got -1'],
    [{ prefetchMs: 0 }, 'options.prefetchMs must be a positive number of milliseconds or Infinity, got 0'],
    [{ maxTasksPerWorker: 0 }, 'options.maxTasksPerWorker must be a positive integer or Infinity, got 0'],
    [{ unresponsiveTimeout: -5 }, 'options.unresponsiveTimeout must be a non-negative number of milliseconds or Infinity, got -5'],
    [{ abortTimeout: Number.NaN }, 'options.abortTimeout must be a non-negative number of milliseconds or Infinity, got NaN'],
    [{ closeTimeout: '1s' }, 'options.closeTimeout must be a non-negative number of milliseconds or Infinity, got "1s"'],
    [{ errorClasses: 3 }, 'options.errorClasses must be an array of error classes or a Map of them by name, got 3'],
    [{ errorClasses: { QuotaError: Error } }, 'options.errorClasses must be an array of error classes or a Map of them by name, got an object'],
    [{ fallback: 'echo' }, 'options.fallback must be a task function or an object of task functions, got "echo"'],
    [{ fallback: {} }, 'options.fallback must hold at least one task function, got an empty object'],
    [{ fallback: { echo: 1 } }, 'options.fallback.echo must be a function, got 1'],
  ])('rejects %o with a TypeError naming the option and the value', (options, message) => {
    expect(() => webWorkers(url, options as never)).toThrow(new TypeError(message))
  })

  it('rejects an infinite concurrentTasksPerWorker with a RangeError', () => {
    expect(() => webWorkers(url, { concurrentTasksPerWorker: Infinity, fallback })).toThrow(RangeError)
  })

  it('rejects a worker that is neither a URL, a non-empty string nor a function', () => {
    expect(() => webWorkers('' as never, { fallback })).toThrow(new TypeError('worker must be a URL, a non-empty URL string or a function that returns a Worker, got ""'))
    expect(() => webWorkers(42 as never, { fallback })).toThrow(new TypeError('worker must be a URL, a non-empty URL string or a function that returns a Worker, got 42'))
  })

  it('accepts a worker factory with every valid option but type and name', () => {
    const executor = webWorkers(() => undefined as never, {
      concurrentTasksPerWorker: 2,
      prefetch: 0,
      prefetchMs: Infinity,
      maxTasksPerWorker: 100,
      unresponsiveTimeout: 1000,
      abortTimeout: 0,
      closeTimeout: 50,
      startTimeout: 10,
      errorClasses: [RangeError],
      fallback,
    })
    expect(executor.kind).toBe('web-workers (in-process fallback)')
  })

  it('rejects options that are not an object', () => {
    expect(() => webWorkers(url, 'fast' as never)).toThrow(new TypeError('options must be an object, got "fast"'))
  })

  it('accepts a URL object and every valid option', () => {
    const executor = webWorkers(new URL(url), {
      type: 'classic',
      name: 'hash',
      concurrentTasksPerWorker: 2,
      prefetch: 0,
      prefetchMs: Infinity,
      maxTasksPerWorker: 100,
      unresponsiveTimeout: 1000,
      abortTimeout: 0,
      closeTimeout: 50,
      errorClasses: [RangeError],
      fallback: (input: unknown) => input,
    })
    expect(executor.kind).toBe('web-workers (in-process fallback)')
  })
})

describe('defaultConcurrency()', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('leaves one core of navigator.hardwareConcurrency to the page', () => {
    vi.stubGlobal('navigator', { hardwareConcurrency: 8 })
    expect(defaultConcurrency()).toBe(7)
  })

  it('is at least 1 on a single core', () => {
    vi.stubGlobal('navigator', { hardwareConcurrency: 1 })
    expect(defaultConcurrency()).toBe(1)
  })

  it('is 4 when the browser does not tell', () => {
    vi.stubGlobal('navigator', {})
    expect(defaultConcurrency()).toBe(4)
    vi.stubGlobal('navigator', undefined)
    expect(defaultConcurrency()).toBe(4)
  })

  it("is the executor's default worker count", () => {
    vi.stubGlobal('navigator', { hardwareConcurrency: 3 })
    expect(webWorkers(url, { fallback: { echo: (x: unknown) => x } }).defaultConcurrency).toBe(2)
  })
})
