import { defineProject } from 'vitest/config'

export default defineProject({
  resolve: { conditions: ['@poolkit/source'] },
  ssr: { resolve: { conditions: ['@poolkit/source'] } },
  test: {
    name: 'routing',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
})
