import type { PoolSnapshot, Scaler } from '@poolkit/core'

/**
 * The sizing `idleTimeout` asks for, piscina-style: grow when tasks wait (up to
 * the pool's `concurrency`), and give back the workers that stayed idle for
 * `idleTimeout`, down to `minWorkers`. The pool retires idle workers only, never
 * a busy one.
 */
export function idleTimeoutScaler(idleTimeout: number, minWorkers: number): Scaler {
  // When the pool first had idle workers and nothing waiting, on its clock.
  let idleSince: number | undefined
  return {
    min: minWorkers,
    onPressure: true,
    intervalMs: Math.max(10, Math.min(idleTimeout / 2, 1000)),
    desired(s: PoolSnapshot): number {
      if (s.queued > 0) {
        idleSince = undefined
        // Enough workers for what waits, on top of what runs.
        return s.targetWorkers + Math.ceil(s.queued / s.tasksPerWorker)
      }
      if (s.workers.idle === 0) {
        idleSince = undefined
        return s.targetWorkers
      }
      idleSince ??= s.now
      if (s.now - idleSince < idleTimeout) return s.targetWorkers
      idleSince = s.now
      return s.targetWorkers - s.workers.idle
    },
  }
}
