import { defineProject } from 'vitest/config'

// The smoke test runs the built suites (dist/) in a child process, as `pnpm bench --quick` does:
// benchmarks measure what users install, so no `@poolkit/source` condition here.
export default defineProject({
  test: {
    name: 'benchmarks',
    environment: 'node',
    include: ['test/**/*.test.ts'],
  },
})
