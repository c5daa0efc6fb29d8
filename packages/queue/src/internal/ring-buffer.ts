/** A growable FIFO over a power-of-two circular array: O(1) push and shift. */
export class RingBuffer<T> {
  length = 0
  private items: (T | undefined)[]
  private head = 0
  private mask: number

  constructor(initialCapacity = 16) {
    let capacity = 16
    while (capacity < initialCapacity) capacity *= 2
    this.items = new Array<T | undefined>(capacity)
    this.mask = capacity - 1
  }

  push(item: T): void {
    if (this.length === this.items.length) this.grow()
    this.items[(this.head + this.length) & this.mask] = item
    this.length++
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined
    const item = this.items[this.head]
    this.items[this.head] = undefined
    this.head = (this.head + 1) & this.mask
    this.length--
    return item
  }

  /** Everything, oldest first, without removing it. */
  toArray(): T[] {
    const out = new Array<T>(this.length)
    for (let i = 0; i < out.length; i++) out[i] = this.items[(this.head + i) & this.mask]!
    return out
  }

  /** Removes the items `pick` returns true for and returns them, oldest first; the rest keep their order. O(n). */
  extract(pick: (item: T, index: number) => boolean): T[] {
    const picked: T[] = []
    const kept = new RingBuffer<T>(this.length)
    for (let i = 0; i < this.length; i++) {
      const item = this.items[(this.head + i) & this.mask]!
      if (pick(item, i)) picked.push(item)
      else kept.push(item)
    }
    this.items = kept.items
    this.head = kept.head
    this.mask = kept.mask
    this.length = kept.length
    return picked
  }

  private grow(): void {
    const old = this.items
    const next = new Array<T | undefined>(old.length * 2)
    for (let i = 0; i < this.length; i++) next[i] = old[(this.head + i) & this.mask]
    this.items = next
    this.head = 0
    this.mask = next.length - 1
  }
}
