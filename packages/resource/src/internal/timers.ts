import type { Clock, TimerHandle } from '@poolkit/core'

/**
 * Sets a timer that keeps the process alive only when `keepAlive`: a pending
 * acquire depends on it (liveness, DESIGN.md). Otherwise it is unref'd where
 * the clock can, so housekeeping never holds the process open.
 */
export function setTimer(clock: Clock, callback: () => void, ms: number, keepAlive: boolean): TimerHandle {
  const handle = clock.setTimeout(callback, ms)
  if (!keepAlive) clock.unref?.(handle)
  return handle
}

/**
 * One re-armable timer at a moment on the clock, shared by waiters and
 * housekeeping: it keeps the process alive exactly while {@link Timer.hold} says
 * a waiter depends on it. Core's `Clock` can unref a timer but not ref it
 * again, so going from unref'd to kept-alive sets it anew for the same moment.
 */
export class Timer {
  /** When it fires (clock ms); `Infinity` when it is not armed. */
  at = Infinity
  private handle: TimerHandle | undefined = undefined
  private keepAlive = false

  constructor(
    private readonly clock: Clock,
    private readonly onFire: () => void,
  ) {}

  get armed(): boolean {
    return this.handle !== undefined
  }

  /** (Re)sets it to fire at `at`, keeping the process alive when `keepAlive`. */
  arm(at: number, keepAlive: boolean): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle)
    this.at = at
    this.keepAlive = keepAlive
    this.handle = setTimer(this.clock, this.fire, Math.max(0, at - this.clock.now()), keepAlive)
  }

  /** Whether a waiter depends on it now; a timer that is not armed stays so. */
  hold(keepAlive: boolean): void {
    if (this.handle === undefined || this.keepAlive === keepAlive) return
    if (keepAlive) {
      this.arm(this.at, true)
    } else {
      this.keepAlive = false
      this.clock.unref?.(this.handle)
    }
  }

  clear(): void {
    if (this.handle === undefined) return
    this.clock.clearTimeout(this.handle)
    this.handle = undefined
    this.at = Infinity
  }

  private readonly fire = (): void => {
    this.handle = undefined
    this.at = Infinity
    this.onFire()
  }
}
