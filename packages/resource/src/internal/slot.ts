/** One resource a pool owns, from its create to its destroy. */
export class Slot<T> {
  /** When it last went idle (clock ms); only read for idle eviction. */
  idleSince = 0
  /** Times it was lent. */
  uses = 0

  constructor(
    readonly resource: T,
    /** When its create finished (clock ms); only set when `maxLifetimeMs` is finite. */
    readonly createdAt: number,
  ) {}
}
