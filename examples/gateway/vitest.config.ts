import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'gateway',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // The tests run the short scenario (real HTTP servers on 127.0.0.1) in child processes and in this one.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
