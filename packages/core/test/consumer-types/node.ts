// A Node project: lib ES2022 + @types/node, no DOM. The same packages (and the
// node adapter) compile, and `await using` types through @types/node's
// Symbol.asyncDispose.
import { createPool } from '@poolkit/core'
import { threads } from '@poolkit/node-adapter'
import { createFairQueue } from '@poolkit/queue'
import { thresholdScaler } from '@poolkit/scaler'
import { createCircuitBreaker } from '@poolkit/breaker'
import { createMetrics } from '@poolkit/metrics'
import { webWorkers } from '@poolkit/web-adapter'
import { createKeyRing } from '@poolkit/resource'
import { leastEventLoopUtilization } from '@poolkit/routing'

export async function main(): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/await-thenable -- false positive: the rule misses AsyncDisposableLike's mapped [Symbol.asyncDispose] key (tsc accepts it)
  await using pool = createPool<string, string>({
    executor: threads(new URL('./upper.worker.js', import.meta.url)),
    queue: createFairQueue(),
    scaler: thresholdScaler({ min: 1, max: 2 }),
    breaker: createCircuitBreaker(),
    selector: leastEventLoopUtilization(),
  })
  using ring = createKeyRing(['a'])
  // Server-side rendering of a page's code: no Worker here, the fallback runs.
  const ssr = createPool<number, number>({ executor: webWorkers(new URL('https://example.test/w.js'), { fallback: (n: number) => n + 1 }) })
  await ssr.close()
  void createMetrics()
  void ring
  return pool.run('x')
}
