/**
 * The instance type of the global `Worker` where the project's `lib` declares
 * one (`"DOM"` or `"WebWorker"`), and `never` where it does not, so this
 * package's types also compile in a project without DOM types (server-side
 * code that only uses the in-process `fallback`).
 * @public
 */
export type WebWorkerInstance = typeof globalThis extends { Worker: { prototype: infer W } } ? W : never

/**
 * Makes one Web Worker: `webWorkers()` calls it once for each worker the pool
 * starts (the first ones and every replacement), and it must return a new
 * `Worker`, synchronously.
 *
 * Written with `new Worker(new URL('./x.worker.js', import.meta.url), { type: 'module' })`
 * inside it, literally (a string literal path, `import.meta.url`, and static
 * options), it is the form bundlers (Vite, webpack 5) recognise: they build
 * the worker file, with what it imports, as a chunk of its own and rewrite the
 * URL.
 * @example
 * ```ts
 * // hash-worker.ts
 * export const hashWorker = () => new Worker(new URL('./hash.worker.js', import.meta.url), { type: 'module' })
 *
 * // main.ts
 * const pool = createPool<ArrayBuffer, string>({ executor: webWorkers(hashWorker) })
 * ```
 * @public
 */
export type WebWorkerFactory = () => WebWorkerInstance
