const kept: object[] = []

/**
 * Keeps one instance of a class alive for the life of the module. V8 holds the
 * hidden classes that a constructor's fields pass through only weakly, so when
 * every instance dies (a short-lived pool, a test, a benchmark round) a full GC
 * drops them, and the optimized code built on them is thrown away and rebuilt
 * the next time (measured: a 100,000-task heap round took twice as long after
 * each GC). One kept instance pins them, as core's task record does.
 */
export function keepShape(instance: object): void {
  kept.push(instance)
}
