// stats() of a pool over webWorkers(), in Node with a stand-in for the page's
// Worker: what the figures count does not depend on a browser.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createPool } from '@poolkit/core'
import { PROTOCOL_VERSION } from '@poolkit/core/worker'
import { webWorkers } from '../src/index.js'

/** A Web Worker that reports ready, runs nothing, and closes when told to, as the real worker side does. */
class IdleWorker {
  onmessage: ((event: { data: unknown }) => void) | null = null
  onerror: ((event: unknown) => void) | null = null
  onmessageerror: ((event: unknown) => void) | null = null
  constructor() {
    queueMicrotask(() => this.onmessage?.({ data: { type: 'ready', protocol: PROTOCOL_VERSION, functions: ['default'], cooperative: [] } }))
  }
  postMessage(post: unknown): void {
    const messages = Array.isArray(post) ? post : [post]
    if (messages.some((m) => (m as { type?: unknown } | null)?.type === 'close')) {
      queueMicrotask(() => this.onmessage?.({ data: '@poolkit/web-adapter:closed' }))
    }
  }
  terminate(): void {}
}

describe('stats() of a webWorkers() pool', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('counts in stats().concurrency the tasks that run at once (workers × concurrentTasksPerWorker), and in stats().capacity those sent ahead too', async () => {
    vi.stubGlobal('Worker', IdleWorker)
    const executor = webWorkers('https://example.test/worker.js')
    expect(executor).toMatchObject({ kind: 'web-workers', tasksPerWorker: 1 + 256, runsPerWorker: 1 })
    // The figure: 5 workers read 1,285 (5 × (1 + prefetch 256)) as the tasks that may run at once.
    const pool = createPool({ executor, concurrency: 5 })
    expect(pool.stats()).toMatchObject({ targetWorkers: 5, concurrency: 5, capacity: 1285 })
    await pool.ready()
    const wider = createPool({ executor: webWorkers('https://example.test/worker.js', { concurrentTasksPerWorker: 3, prefetch: 4 }), concurrency: 2 })
    expect(wider.stats()).toMatchObject({ concurrency: 6, capacity: 14 })
    await wider.ready()
    await Promise.all([pool.close(), wider.close()])
    expect(pool.stats().workers.total).toBe(0)
  })
})
