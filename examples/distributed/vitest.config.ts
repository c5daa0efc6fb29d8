import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'distributed',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // The test builds the example and runs it in a child process (a redis-server and two consumer processes).
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
