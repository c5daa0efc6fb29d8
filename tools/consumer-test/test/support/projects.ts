// The temporary consumer projects: what each one installs, and the state the
// global setup hands the test files. No vitest runtime here: the global setup,
// which runs outside the test workers, imports it too.

/**
 * Third-party versions installed into the consumer projects, pinned. Those the
 * workspace also uses are the lockfile's (pnpm-lock.yaml); esbuild and tsx are
 * not in it: esbuild is the version tsx 4.23 depends on (`~0.28.0`) and that
 * vite 8 accepts as a peer, so npm installs one copy.
 */
export const VERSIONS = {
  typescript: '5.9.3',
  '@types/node': '20.19.43',
  bullmq: '6.7.0',
  ioredis: '5.9.2',
  tsx: '4.23.15',
  vite: '8.3.8',
  esbuild: '0.28.2',
} as const

export type ThirdParty = keyof typeof VERSIONS

/** One temporary project outside the workspace: the poolkit tarballs and third-party packages it installs. */
export interface ProjectSpec {
  readonly poolkit: readonly string[]
  readonly thirdParty: readonly ThirdParty[]
}

/**
 * The projects the global setup installs once, in parallel, for every test file.
 * Each test copies its fixture into a folder of its own inside one of them, so
 * Node, TypeScript and the bundlers find the packages by walking up to the
 * project's `node_modules`, as in a user's project.
 */
export const PROJECTS = {
  /** `npm install @poolkit/core @poolkit/node-adapter`, the node-adapter README's install line and nothing else. */
  minimal: { poolkit: ['@poolkit/core', '@poolkit/node-adapter'], thirdParty: [] },
  /** Every Node-side package, with TypeScript, Node's types, BullMQ and tsx. */
  node: {
    poolkit: ['@poolkit/core', '@poolkit/queue', '@poolkit/scaler', '@poolkit/breaker', '@poolkit/metrics', '@poolkit/node-adapter', '@poolkit/resource', '@poolkit/bullmq', '@poolkit/routing'],
    thirdParty: ['typescript', '@types/node', 'bullmq', 'ioredis', 'tsx'],
  },
  /** The packages that run in a browser, with TypeScript and no `@types/node` anywhere in it. */
  dom: {
    poolkit: ['@poolkit/core', '@poolkit/queue', '@poolkit/scaler', '@poolkit/breaker', '@poolkit/metrics', '@poolkit/web-adapter', '@poolkit/resource', '@poolkit/routing'],
    thirdParty: ['typescript'],
  },
  /** A page's dependencies and the two bundlers. */
  web: { poolkit: ['@poolkit/core', '@poolkit/web-adapter'], thirdParty: ['vite', 'esbuild'] },
} as const satisfies Record<string, ProjectSpec>

export type ProjectName = keyof typeof PROJECTS

/** A public package of the workspace and its packed tarball. */
export interface PackedPackage {
  readonly name: string
  /** The package's folder in the workspace. */
  readonly dir: string
  /** The tarball `pnpm pack` wrote, or undefined when packing it failed. */
  readonly tarball?: string
}

/** What the global setup hands every test file (see `inject('consumer')`). */
export interface ConsumerContext {
  /** The temporary folder that holds the tarballs and the projects. */
  readonly root: string
  readonly packages: readonly PackedPackage[]
  /** Why packing failed, when it did: every test needs the tarballs. */
  readonly packError?: string
  readonly projects: Readonly<Record<ProjectName, { readonly dir: string; readonly error?: string }>>
}

declare module 'vitest' {
  export interface ProvidedContext {
    consumer: ConsumerContext
  }
}
