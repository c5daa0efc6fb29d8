import { defineProject } from 'vitest/config'

// The consumer test: what users install, not the sources. No `@poolkit/source`
// condition; the tests never import the packages at all. They pack the built
// packages (run `pnpm build` first; `pnpm test` and `pnpm test:consumer` do),
// install the tarballs with npm into temporary projects outside the workspace
// (test/global-setup.ts, once per run) and run node, tsc, vite, esbuild and
// Chromium there, in child processes.
export default defineProject({
  test: {
    name: 'consumer-test',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    // Generous: every test starts processes (tsc with skipLibCheck off, a bundler,
    // a browser) on a CI machine that runs the other projects beside it.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
})
