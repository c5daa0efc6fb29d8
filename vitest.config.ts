import { defineConfig } from 'vitest/config'

// One vitest run, one project per package (each package's vitest.config.ts).
export default defineConfig({
  test: {
    projects: ['packages/*'],
  },
})
