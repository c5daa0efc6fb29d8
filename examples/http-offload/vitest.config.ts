import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'http-offload',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // The test builds the example and runs its server in child processes (worker threads included).
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
