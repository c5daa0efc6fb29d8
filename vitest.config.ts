import { defineConfig } from 'vitest/config'

// One vitest run, one project per package (each package's vitest.config.ts),
// plus the parse-codebase example's end-to-end test and the benchmarks' smoke test.
export default defineConfig({
  test: {
    projects: ['packages/*', 'examples/parse-codebase', 'examples/distributed', 'benchmarks', 'reliability', 'tools/release-test'],
  },
})
