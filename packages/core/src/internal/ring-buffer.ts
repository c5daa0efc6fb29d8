/**
 * A growable FIFO over a power-of-two circular array: O(1) push and shift, no
 * allocation per item beyond the slot.
 */
export class RingBuffer<T> {
  private items: (T | undefined)[]
  private head = 0
  private tail = 0
  private mask: number
  length = 0

  constructor(initialCapacity = 16) {
    let capacity = 16
    while (capacity < initialCapacity) capacity *= 2
    this.items = new Array<T | undefined>(capacity)
    this.mask = capacity - 1
  }

  push(item: T): void {
    if (this.length === this.items.length) this.grow()
    this.items[this.tail] = item
    this.tail = (this.tail + 1) & this.mask
    this.length++
  }

  /** Adds an item at the front. */
  unshift(item: T): void {
    if (this.length === this.items.length) this.grow()
    this.head = (this.head - 1) & this.mask
    this.items[this.head] = item
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

  peek(): T | undefined {
    return this.length === 0 ? undefined : this.items[this.head]
  }

  /** The first item, from the front, that `predicate` accepts. O(n). */
  find(predicate: (item: T) => boolean): T | undefined {
    for (let i = 0; i < this.length; i++) {
      const item = this.items[(this.head + i) & this.mask] as T
      if (predicate(item)) return item
    }
    return undefined
  }

  /** Removes one item by identity, keeping the order of the rest. O(n). */
  remove(item: T): boolean {
    const { items, mask } = this
    for (let i = 0; i < this.length; i++) {
      const at = (this.head + i) & mask
      if (items[at] !== item) continue
      // Close the gap from whichever end is nearer.
      if (i < this.length / 2) {
        for (let j = i; j > 0; j--) items[(this.head + j) & mask] = items[(this.head + j - 1) & mask]
        items[this.head] = undefined
        this.head = (this.head + 1) & mask
      } else {
        for (let j = i; j < this.length - 1; j++) items[(this.head + j) & mask] = items[(this.head + j + 1) & mask]
        this.tail = (this.tail - 1) & mask
        items[this.tail] = undefined
      }
      this.length--
      return true
    }
    return false
  }

  /** Removes and returns everything in order. */
  drain(): T[] {
    const out = new Array<T>(this.length)
    for (let i = 0; i < out.length; i++) out[i] = this.shift() as T
    this.head = this.tail = 0
    return out
  }

  private grow(): void {
    const old = this.items
    const next = new Array<T | undefined>(old.length * 2)
    for (let i = 0; i < this.length; i++) next[i] = old[(this.head + i) & this.mask]
    this.items = next
    this.head = 0
    this.tail = this.length
    this.mask = next.length - 1
  }
}
