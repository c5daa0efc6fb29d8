import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'reliability',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // Each test runs a scenario in a plain Node child process (built packages,
    // real workers), so the handle check sees the pool's handles and nothing of vitest's.
    pool: 'forks',
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
})
