import { defineProject } from 'vitest/config'

// Runs `changeset version` and `pnpm pack` on a copy of the repository in a temp
// directory (no network); see test/release.test.ts.
export default defineProject({
  test: {
    name: 'release-test',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
