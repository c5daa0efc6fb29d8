// ESLint for the whole workspace (ESLint 9 flat config): `pnpm lint`, `pnpm lint:fix`.
//
// TypeScript is linted with typescript-eslint's type-checked rules through the project
// service, so each file is checked against the tsconfig.json of its package. The rules
// that guard a concurrency library (floating and misused promises, awaiting what is not
// a thenable) stay errors everywhere. Plain JavaScript (worker fixtures, liveness
// scenarios, browser pages, scripts) gets ESLint's recommended rules, not type-checked.
import js from '@eslint/js'
import { defineConfig } from 'eslint/config'
import globals from 'globals'
import tseslint from 'typescript-eslint'

const root = import.meta.dirname

export default defineConfig(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/coverage/**',
      '**/temp/**',
      '**/.turbo/**',
      'docs/api/**',
      // The consumers' own files: copied into projects outside the workspace and checked
      // there with those projects' TypeScript (tools/consumer-test/test/types.test.ts).
      'tools/consumer-test/fixtures/**',
      // Input data of the parse-codebase demo and the web-parse page (they parse them), not code of ours.
      'examples/parse-codebase/test/fixtures/**',
      'examples/web-parse/test/fixtures/**',
      // Deliberately unparsable worker files (the pools must report them).
      '**/syntax-error.worker.mjs',
    ],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts', '**/*.cts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: {
          // Files outside every tsconfig.json: the root vitest workspace file.
          allowDefaultProject: ['vitest.config.ts', 'examples/web-hash/serve.d.mts'],
          defaultProject: 'tsconfig.base.json',
        },
        tsconfigRootDir: root,
      },
    },
    rules: {
      // The bug classes of a concurrency library: errors, default options, except that
      // Promise.all may take an array mixing promises and plain values (a sync close()).
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': ['error', { allowMixedPromiseArrays: true }],

      // Rules that fight the codebase's deliberate style, each with its reason:
      // `async` without `await` is deliberate: a synchronous throw becomes a rejection, and
      // handlers and test doubles keep the async signature they stand for.
      '@typescript-eslint/require-await': 'off',
      // `any` is used on purpose in generic plumbing (`(...args: any[]) => void` bounds,
      // handler maps), where `unknown` breaks assignability; no-unsafe-* still guard src.
      '@typescript-eslint/no-explicit-any': 'off',
      // Assertions that the checker finds redundant document intent (`as never` for hostile
      // inputs, `!` after a length check); a style matter, not a bug class.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // TimerHandle is `unknown` (whatever the Clock returns): `TimerHandle | undefined`
      // says the field may be empty.
      '@typescript-eslint/no-redundant-type-constituents': 'off',
      // Cancellation rejects with the signal's own `reason` (as the web platform does), and
      // errors from user code are passed on as they were thrown: neither need be an Error.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      '@typescript-eslint/only-throw-error': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // As tsc's noUnusedLocals/noUnusedParameters: a leading underscore marks "unused on purpose".
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      '@typescript-eslint/no-unused-expressions': ['error', { allowTernary: true }],
    },
  },
  {
    // Tests poke at untyped values on purpose (parsed JSON, worker messages, hostile
    // inputs), throw and reject with non-Errors to test that they pass through, and hand
    // methods to expect()/vi.spyOn unbound.
    files: ['**/test/**/*.ts', '**/*.test-d.ts'],
    rules: {
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Packages whose test files live in a tsconfig.test.json beside the build tsconfig.json.
    files: ['benchmarks/**/*.ts', 'reliability/**/*.ts', 'examples/parse-codebase/**/*.ts', 'examples/distributed/**/*.ts', 'examples/http-offload/**/*.ts', 'examples/gateway/**/*.ts'],
    languageOptions: {
      parserOptions: {
        projectService: false,
        project: [
          './benchmarks/tsconfig.test.json',
          './reliability/tsconfig.test.json',
          './examples/parse-codebase/tsconfig.test.json',
          './examples/distributed/tsconfig.test.json',
          './examples/http-offload/tsconfig.test.json',
          './examples/gateway/tsconfig.test.json',
        ],
        tsconfigRootDir: root,
      },
    },
  },
  {
    // Type tests compiled as a consumer would (own tsconfigs; excluded from core's).
    files: ['packages/core/test/consumer-types/*.ts'],
    languageOptions: {
      parserOptions: {
        projectService: false,
        project: ['./packages/core/test/consumer-types/tsconfig.*.json'],
        tsconfigRootDir: root,
      },
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
  {
    // Pages and module workers that run in a browser.
    files: ['benchmarks/browser/**/*.js', 'examples/web-hash/*.js', 'examples/web-parse/*.js', 'packages/web-adapter/test/browser/pages/**/*.js'],
    languageOptions: { globals: { ...globals.browser, ...globals.worker } },
  },
)
