/**
 * The worker count `webWorkers()` gives a pool whose `concurrency` is left
 * out: `navigator.hardwareConcurrency` minus one for the page's own (UI)
 * thread, at least 1; 4 where the browser does not tell.
 * @public
 */
export function defaultConcurrency(): number {
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: unknown } }).navigator?.hardwareConcurrency
  if (typeof cores !== 'number' || !Number.isInteger(cores) || cores < 1) return 4
  return Math.max(1, cores - 1)
}
