// Runs the example end to end as `pnpm --filter distributed start` does: the built
// script starts its own redis-server, two consumer processes and the producer.
import { execFile, execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))

beforeAll(() => {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: root })
})

describe('examples/distributed', () => {
  it("runs every job on the two consumers, prints progress and each one's share, and shuts them down on SIGTERM", async () => {
    const env = { ...process.env }
    delete env.REDIS_URL
    const { stdout } = await run(process.execPath, [join(root, 'dist/main.js'), '--jobs', '300'], { cwd: root, env, timeout: 50_000 })

    expect(stdout).toMatch(/^redis: redis:\/\/127\.0\.0\.1:\d+ \(started for this run\), queue "distributed-demo-\d+"$/m)
    expect(stdout).toMatch(/^consumer-a: consuming "distributed-demo-\d+" on 2 threads \(BullMQ concurrency \d+\)$/m)
    expect(stdout).toMatch(/^consumer-b: consuming /m)
    expect(stdout).toMatch(/^progress: 0\/300 jobs, 0 jobs\/s, consumer-a 0, consumer-b 0$/m)
    expect(stdout).toMatch(/^progress: 300\/300 jobs, \d+ jobs\/s, consumer-a \d+, consumer-b \d+$/m)
    expect(stdout).toMatch(/^done: 300 jobs in [\d.]+ s \(\d+ jobs\/s\)$/m)

    const shares = [...stdout.matchAll(/^share: (consumer-[ab]) ran (\d+) jobs \(([\d.]+)%\)$/gm)].map((m) => ({ name: m[1], jobs: Number(m[2]) }))
    expect(shares.map((s) => s.name)).toEqual(['consumer-a', 'consumer-b'])
    expect(shares.reduce((sum, s) => sum + s.jobs, 0)).toBe(300)

    // Each consumer closed gracefully and reported what it completed, with the queue's metrics next to the pool's.
    for (const { name, jobs } of shares) {
      expect(stdout).toMatch(new RegExp(`^${name}: SIGTERM, closed in \\d+ ms after ${jobs} jobs \\(0 handed back\\)$`, 'm'))
      expect(stdout).toContain(`${name}:   poolkit_tasks_total{pool="${name}",outcome="completed"} ${jobs}`)
      expect(stdout).toMatch(new RegExp(`^${name}:   poolkit_bullmq_jobs\\{queue="distributed-demo-\\d+",state="waiting"\\} 0$`, 'm'))
      expect(stdout).toMatch(new RegExp(`^${name}:   poolkit_bullmq_stalled_jobs_total\\{queue="distributed-demo-\\d+"\\} 0$`, 'm'))
    }
  })
})
