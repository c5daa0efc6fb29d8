import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'reliability',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // Each test runs a scenario in a plain Node child process (built packages,
    // real workers), so the handle check sees the pool's handles and nothing of vitest's.
    pool: 'forks',
    // One file at a time: the soak judges p99 latency, and the liveness suite's
    // child processes or a fault run beside it on 2 cores would tilt its trend.
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
})
