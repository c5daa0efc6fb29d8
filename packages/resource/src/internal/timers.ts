import type { Clock, TimerHandle } from '@poolkit/core'

/** Sets a timer that never keeps the process alive on its own (where the clock can unref). */
export function setUnrefTimeout(clock: Clock, callback: () => void, ms: number): TimerHandle {
  const handle = clock.setTimeout(callback, ms)
  clock.unref?.(handle)
  return handle
}
