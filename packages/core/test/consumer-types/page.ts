// A strict page project: lib ES2022 + DOM, no @types/node, no esnext.disposable,
// skipLibCheck off. Every entry a browser user may install must compile here.
import { createPool, Priority } from '@poolkit/core'
import type { AsyncDisposableLike, Pool } from '@poolkit/core'
import * as coreEmitter from '@poolkit/core/emitter'
import * as coreRemote from '@poolkit/core/remote'
import * as coreValidate from '@poolkit/core/validate'
import * as coreWorker from '@poolkit/core/worker'
import { createFairQueue } from '@poolkit/queue'
import { thresholdScaler } from '@poolkit/scaler'
import { createCircuitBreaker } from '@poolkit/breaker'
import { createMetrics } from '@poolkit/metrics'
import { webWorkers } from '@poolkit/web-adapter'
import { expose } from '@poolkit/web-adapter/worker'
import { createKeyRing, createResourcePool } from '@poolkit/resource'
import { affinity } from '@poolkit/routing'

export const pool: Pool<ArrayBuffer, string> = createPool<ArrayBuffer, string>({
  executor: webWorkers(() => new Worker(new URL('./hash.worker.js', import.meta.url), { type: 'module' })),
  queue: createFairQueue(),
  scaler: thresholdScaler({ min: 1, max: 4 }),
  breaker: createCircuitBreaker(),
  selector: affinity({ maxImbalance: 4 }),
})
export const byUrl = webWorkers(new URL('./hash.worker.js', import.meta.url), { type: 'module', name: 'hash' })
export const metrics = createMetrics()
export const ring = createKeyRing(['a', 'b'])
export const connections = createResourcePool({ create: () => new WebSocket('wss://example.test'), destroy: (socket) => socket.close() })
// Without the disposable lib the pool is still a pool; the dispose member is simply not typed.
export const disposable: AsyncDisposableLike = pool
export const high: number = Priority.High
export { coreEmitter, coreRemote, coreValidate, coreWorker, expose }

export async function hash(buffer: ArrayBuffer): Promise<string> {
  return pool.run(buffer, { name: 'sha256', transfer: [buffer], priority: Priority.High })
}
