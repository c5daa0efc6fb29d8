import { defineConfig } from 'vitest/config'

// One vitest run, one project per package (each package's vitest.config.ts),
// plus the parse-codebase, distributed and http-offload examples' end-to-end tests, the web-parse page in Chromium,
// the benchmarks' smoke test and the consumer test (tools/consumer-test: the packed tarballs, installed with npm).
export default defineConfig({
  test: {
    projects: [
      'packages/*',
      'examples/parse-codebase',
      'examples/distributed',
      'examples/web-parse',
      'examples/http-offload',
      'examples/gateway',
      'benchmarks',
      'reliability',
      'tools/release-test',
      'tools/consumer-test',
    ],
    // Used with --coverage; `pnpm test:coverage` (scripts/coverage.mjs) measures each package on its own.
    coverage: { provider: 'v8', reporter: ['text-summary', 'json-summary'] },
  },
})
