import { createPool } from '@poolkit/core'
import { threads } from '@poolkit/node-adapter'
const url = new URL('./dist/workers/poolkit.worker.js', import.meta.url)
const prefetch = Number(process.argv[2] ?? 64)
const pool = createPool({ executor: threads(url, { prefetch }), concurrency: 2 })
await pool.ready()
await Promise.all(Array.from({ length: 5000 }, (_, i) => pool.run(i)))
for (let r = 0; r < 4; r++) {
  globalThis.gc()
  pool.stats()
  const e0 = performance.eventLoopUtilization(); const t0 = performance.now()
  const all = new Array(100000)
  for (let i = 0; i < 100000; i++) all[i] = pool.run(i)
  await Promise.all(all)
  const wall = performance.now() - t0
  const e = performance.eventLoopUtilization(e0)
  const w = pool.stats().perWorker.map((x) => x.eventLoopUtilization?.toFixed(2))
  console.log('prefetch', prefetch, 'wall', wall.toFixed(0), 'main ELU', e.utilization.toFixed(2), 'main active ms', e.active.toFixed(0), 'workers ELU', w.join(' '))
}
await pool.close()
