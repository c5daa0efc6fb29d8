import type { TimerHandle } from '@poolkit/core'
import type { ResourceLease } from '../lease.js'
import type { LineNode } from './line.js'
import type { Slot } from './slot.js'

/** One acquire waiting in a pool's line. */
export class Waiter<T> implements LineNode<Waiter<T>> {
  prev: Waiter<T> | undefined = undefined
  next: Waiter<T> | undefined = undefined
  queued = false
  /** Settled (served or rejected): it must never be handed anything again. */
  done = false
  /** The resource being validated for it; it keeps its place in line meanwhile. */
  checking: Slot<T> | undefined = undefined
  /** Its own timer, when its timeout differs from the pool's (the pool's waiters share one timer). */
  timer: TimerHandle | undefined = undefined
  /** Counted among the waiters that the pool's shared line timer times out. */
  lineTimed = false
  onAbort: (() => void) | undefined = undefined

  constructor(
    readonly resolve: (lease: ResourceLease<T>) => void,
    readonly reject: (reason: unknown) => void,
    readonly enqueuedAt: number,
    readonly timeoutMs: number,
    /** `enqueuedAt + timeoutMs`. */
    readonly deadline: number,
    /** True when `timeoutMs` is not the pool's, so `deadline` is out of line order. */
    readonly ownTimeout: boolean,
    readonly signal: AbortSignal | undefined,
  ) {}
}
