import { LeaseReleasedError } from '../errors.js'
import type { ResourceLease } from '../lease.js'
import type { Slot } from './slot.js'

/** What a lease calls back when it ends: its pool. */
export interface LeaseOwner<T> {
  giveBack(slot: Slot<T>, broken: boolean): void
}

/** A pool's lease: ends once, by `release()` or `destroy()`. */
export class Lease<T> implements ResourceLease<T> {
  released = false

  constructor(
    private readonly owner: LeaseOwner<T>,
    private readonly slot: Slot<T>,
    readonly resource: T,
  ) {}

  release(): void {
    if (this.released) throw new LeaseReleasedError('release')
    this.released = true
    this.owner.giveBack(this.slot, false)
  }

  destroy(): void {
    if (this.released) throw new LeaseReleasedError('destroy')
    this.released = true
    this.owner.giveBack(this.slot, true)
  }

  [Symbol.dispose](): void {
    if (!this.released) this.release()
  }
}
