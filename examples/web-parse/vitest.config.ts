import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'web-parse',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // Headless Chromium: every worker of the pool compiles the grammars (about 3.4 MB of WebAssembly) before its first file.
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
})
