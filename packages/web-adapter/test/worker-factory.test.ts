// webWorkers(factory) in Node, with a stand-in for the page's Worker that runs
// the real worker runtime in-process: what the factory form does (calls,
// checks, failed starts, the fallback) does not depend on a browser.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPool, WorkerStartError } from '@poolkit/core'
import type { PoolObserver } from '@poolkit/core'
import { runWorker } from '@poolkit/core/worker'
import type { MainPost } from '@poolkit/core/worker'
import { webWorkers } from '../src/index.js'
import { CLOSED_SIGNAL } from '../src/internal/closed.js'

/** A Web Worker whose "script" is the worker runtime exposing `echo` and `whoami`, wired through microtasks. */
class FakeWorker {
  static made: FakeWorker[] = []
  onmessage: ((event: { data: unknown }) => void) | null = null
  onerror: ((event: unknown) => void) | null = null
  onmessageerror: ((event: unknown) => void) | null = null
  terminated = false
  private listener: ((post: MainPost) => void) | undefined
  readonly index = FakeWorker.made.length

  constructor(
    readonly url?: URL | string,
    readonly init?: { type?: string; name?: string },
  ) {
    FakeWorker.made.push(this)
    runWorker(
      { echo: (input: unknown) => input, whoami: () => this.index },
      {
        post: (message) => queueMicrotask(() => this.deliver(message)),
        listen: (listener) => {
          this.listener = listener
        },
        close: () => queueMicrotask(() => this.deliver(CLOSED_SIGNAL)),
      },
    )
  }

  private deliver(data: unknown): void {
    if (!this.terminated) this.onmessage?.({ data })
  }

  postMessage(post: MainPost): void {
    queueMicrotask(() => {
      if (!this.terminated) this.listener?.(post)
    })
  }

  terminate(): void {
    this.terminated = true
  }

  /** An uncaught error in the worker, as the page sees it. */
  crash(): void {
    this.onerror?.({ message: 'uncaught in the worker', preventDefault() {} })
  }
}

const url = 'https://example.test/worker.js'

/** A factory of fake workers, typed as the page's Worker (as `webWorkers()` requires). */
const makeFake = (): Worker => new FakeWorker() as unknown as Worker

/** An observer whose `exited` resolves when the pool has taken a worker's exit in. */
function exitWatch(): { observers: PoolObserver[]; exited: () => Promise<void> } {
  let seen: (() => void) | undefined
  return {
    observers: [{ onWorkerExited: () => seen?.() }],
    exited: () => new Promise<void>((resolve) => (seen = resolve)),
  }
}

describe('webWorkers(factory) with Worker available', () => {
  beforeEach(() => {
    FakeWorker.made = []
    vi.stubGlobal('Worker', FakeWorker)
  })
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('calls the factory once per worker the pool starts, not at creation, and runs the tasks on the workers it returns', async () => {
    const factory = vi.fn(makeFake)
    const executor = webWorkers<unknown, unknown>(factory)
    expect(factory).not.toHaveBeenCalled()
    expect(executor.kind).toBe('web-workers')
    const pool = createPool<unknown, unknown>({ executor, concurrency: 3 })
    await pool.ready()
    expect(factory).toHaveBeenCalledTimes(3)
    expect(factory.mock.results.map((r) => r.value)).toEqual(FakeWorker.made)
    expect(await pool.run({ deep: [1, 'two'] }, { name: 'echo' })).toEqual({ deep: [1, 'two'] })
    await pool.close()
    expect(factory).toHaveBeenCalledTimes(3)
    expect(FakeWorker.made.every((worker) => worker.terminated)).toBe(true)
  })

  it('calls the factory again for the replacement of a worker that crashed', async () => {
    const factory = vi.fn(makeFake)
    const watch = exitWatch()
    const pool = createPool<unknown, unknown>({ executor: webWorkers(factory), concurrency: 1, observers: watch.observers })
    expect(await pool.run(null, { name: 'whoami' })).toBe(0)
    const exited = watch.exited()
    FakeWorker.made[0]!.crash()
    await exited
    expect(await pool.run(null, { name: 'whoami' })).toBe(1)
    expect(factory).toHaveBeenCalledTimes(2)
    await pool.close()
  })

  it.each([
    ['an object', () => ({ postMessage() {}, terminate() {} }), 'must return a Worker (new Worker(...)), got an object'],
    ['undefined', () => undefined, 'must return a Worker (new Worker(...)), got undefined'],
    ['a promise of a Worker', async () => new FakeWorker(), 'got a promise: return new Worker(...) itself, synchronously'],
  ])('fails the start with a TypeError when the factory returns %s, and gives up with WorkerStartError carrying it', async (_label, factory, message) => {
    const pool = createPool<unknown, unknown>({ executor: webWorkers(factory as never), concurrency: 1, maxStartFailures: 1 })
    const errors: unknown[] = []
    pool.on('error', (error) => errors.push(error))
    const failure = await pool.ready().catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(WorkerStartError)
    const cause = (failure as WorkerStartError).cause
    expect(cause).toBeInstanceOf(TypeError)
    expect((cause as Error).message).toContain('The worker factory passed to webWorkers()')
    expect((cause as Error).message).toContain(message)
    expect(errors[0]).toBe(cause)
    await pool.destroy()
  })

  it('fails the start with the error a factory throws', async () => {
    const thrown = new Error('no workers today')
    const pool = createPool<unknown, unknown>({
      executor: webWorkers(() => {
        throw thrown
      }),
      concurrency: 1,
      maxStartFailures: 1,
    })
    const failure = await pool.ready().catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(WorkerStartError)
    expect((failure as WorkerStartError).cause).toBe(thrown)
    await pool.destroy()
  })

  it('names the factory, not a URL, when one of its workers fails to load', async () => {
    const watch = exitWatch()
    const pool = createPool<unknown, unknown>({ executor: webWorkers(makeFake), concurrency: 1, observers: watch.observers })
    await pool.ready()
    const errors: unknown[] = []
    pool.on('error', (error) => errors.push(error))
    const exited = watch.exited()
    FakeWorker.made[0]!.onerror?.({ preventDefault() {} })
    await exited
    await pool.run(null, { name: 'whoami' })
    // Reported as the worker's exit, caused by the load error.
    expect(((errors[0] as Error).cause as Error).message).toBe('The Web Worker made by the worker factory failed to load (a network error, a syntax error, or an error thrown at its top level)')
    await pool.close()
  })

  it('refuses options.type and options.name next to a factory with a RangeError naming the option and the value', () => {
    const factory = vi.fn(makeFake)
    expect(() => webWorkers(factory, { type: 'module' })).toThrow(
      new RangeError(`options.type applies to a worker URL only, got "module" with a worker factory: pass { type: "module" } to new Worker() in the factory instead`),
    )
    expect(() => webWorkers(factory, { name: 'hash' })).toThrow(RangeError)
    expect(() => webWorkers(factory, { name: 'hash' })).toThrow(/options\.name applies to a worker URL only, got "hash"/)
    expect(factory).not.toHaveBeenCalled()
  })

  it('still makes workers from a URL with new Worker(url, { type, name })', async () => {
    const pool = createPool<unknown, unknown>({ executor: webWorkers(url, { type: 'classic', name: 'hash' }), concurrency: 1 })
    expect(await pool.run('x', { name: 'echo' })).toBe('x')
    expect(FakeWorker.made[0]).toMatchObject({ url, init: { type: 'classic', name: 'hash' } })
    await pool.close()
  })

  it('shows a long data: URL by its start in error messages', async () => {
    const dataUrl = `data:text/javascript;base64,${'A'.repeat(5000)}`
    const watch = exitWatch()
    const pool = createPool<unknown, unknown>({ executor: webWorkers(dataUrl), concurrency: 1, observers: watch.observers })
    await pool.ready()
    const errors: unknown[] = []
    pool.on('error', (error) => errors.push(error))
    const exited = watch.exited()
    FakeWorker.made[0]!.onerror?.({ preventDefault() {} })
    await exited
    await pool.run(null, { name: 'whoami' })
    const message = ((errors[0] as Error).cause as Error).message
    expect(message).toContain(`The Web Worker ${dataUrl.slice(0, 100)}… failed to load`)
    expect(message.length).toBeLessThan(300)
    await pool.close()
  })
})

describe('webWorkers(factory) where Worker does not exist', () => {
  it('runs the fallback and never calls the factory', async () => {
    expect(typeof (globalThis as { Worker?: unknown }).Worker).toBe('undefined')
    const factory = vi.fn(() => {
      throw new Error('not here')
    })
    const pool = createPool<number, number>({ executor: webWorkers(factory as never, { fallback: (n: number) => n + 1 }) })
    expect(await pool.run(41)).toBe(42)
    expect(pool.stats().executor).toBe('web-workers (in-process fallback)')
    await pool.close()
    expect(factory).not.toHaveBeenCalled()
  })

  it('fails at creation without a fallback, as the URL form does', () => {
    expect(() => webWorkers(() => undefined as never)).toThrowError(expect.objectContaining({ code: 'ERR_WEB_WORKERS_UNSUPPORTED' }))
  })
})
