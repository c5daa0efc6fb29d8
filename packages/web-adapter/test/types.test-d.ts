import { describe, expectTypeOf, it } from 'vitest'
import type { Executor } from '@poolkit/core'
import { webWorkers } from '../src/index.js'
import type { WebWorkerFactory, WebWorkerInstance } from '../src/index.js'

describe('webWorkers() types', () => {
  it('takes a URL, a string, or a factory that returns a Worker', () => {
    expectTypeOf(webWorkers<number, string>(new URL('https://example.test/w.js'))).toEqualTypeOf<Executor<number, string>>()
    expectTypeOf(webWorkers('/w.js', { type: 'classic', name: 'w' })).toEqualTypeOf<Executor<unknown, unknown>>()
    expectTypeOf(webWorkers(() => new Worker(new URL('./w.js', import.meta.url), { type: 'module' }), { prefetch: 0 })).toEqualTypeOf<Executor<unknown, unknown>>()
  })

  it("types the factory as returning the page's Worker, where the lib declares one", () => {
    expectTypeOf<WebWorkerInstance>().toEqualTypeOf<Worker>()
    expectTypeOf<WebWorkerFactory>().toEqualTypeOf<() => Worker>()
  })

  it('refuses a factory that returns a promise or something other than a Worker', () => {
    // @ts-expect-error a promise of a Worker
    webWorkers(async () => new Worker('/w.js'))
    // @ts-expect-error a MessagePort is not a Worker
    webWorkers(() => new MessageChannel().port1)
    // @ts-expect-error not a worker source at all
    webWorkers(42)
  })
})
