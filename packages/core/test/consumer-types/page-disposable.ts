// A page project that has the disposable lib (lib ES2022 + DOM + ESNext.Disposable):
// `await using` and `using` type-check on what the packages return.
import { createPool } from '@poolkit/core'
import { webWorkers } from '@poolkit/web-adapter'
import { createKeyRing, createResourcePool } from '@poolkit/resource'

export async function main(): Promise<number> {
  // eslint-disable-next-line @typescript-eslint/await-thenable -- false positive: the rule misses AsyncDisposableLike's mapped [Symbol.asyncDispose] key (tsc accepts it)
  await using pool = createPool<number, number>({ executor: webWorkers(() => new Worker(new URL('./w.js', import.meta.url), { type: 'module' })) })
  await using sockets = createResourcePool({ create: () => new WebSocket('wss://example.test'), destroy: (socket) => socket.close() })
  using ring = createKeyRing(['a', 'b'])
  using key = await ring.acquire()
  using lease = await sockets.acquire()
  lease.resource.send(key.key)
  const closed: Promise<void> = pool[Symbol.asyncDispose]()
  await closed
  const asLib: AsyncDisposable = pool
  const asLibSync: Disposable = ring
  void asLib
  void asLibSync
  return pool.run(1)
}
