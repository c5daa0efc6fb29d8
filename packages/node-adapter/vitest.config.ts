import { defineProject } from 'vitest/config'

export default defineProject({
  resolve: { conditions: ['@poolkit/source'] },
  ssr: { resolve: { conditions: ['@poolkit/source'] } },
  test: {
    name: 'node-adapter',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // Real threads and processes start here: give each file its own fork.
    pool: 'forks',
    testTimeout: 20_000,
  },
})
