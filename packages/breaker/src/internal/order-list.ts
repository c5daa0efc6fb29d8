// An intrusive doubly linked list: the eviction order of the keyed tables.
//
// Not a Map's insertion order: V8 leaves a hole where an entry was deleted
// until the table is rehashed, and iteration skips the holes, so reading the
// first entry of a Map whose front keeps being deleted costs O(size) (about
// 5 µs at 10,000 entries). Links kept on the values themselves make every
// move O(1), with no allocation.

/** A value that can be in one {@link OrderList}: the list's links live on it. */
export interface Linked<T> {
  prev: T | undefined
  next: T | undefined
  /** Whether it is in the list now. */
  listed: boolean
}

/** Values in an order of the owner's choosing, oldest first: add at the back, take from the front or from anywhere, each O(1). */
export class OrderList<T extends Linked<T>> {
  first: T | undefined = undefined
  private last: T | undefined = undefined
  size = 0

  /** Puts `node` at the back (moving it there if it was listed). */
  push(node: T): void {
    if (node.listed) {
      if (node === this.last) return
      this.remove(node)
    }
    node.prev = this.last
    node.next = undefined
    if (this.last === undefined) this.first = node
    else this.last.next = node
    this.last = node
    node.listed = true
    this.size++
  }

  /** Takes `node` out; nothing if it is not listed. */
  remove(node: T): void {
    if (!node.listed) return
    if (node.prev === undefined) this.first = node.next
    else node.prev.next = node.next
    if (node.next === undefined) this.last = node.prev
    else node.next.prev = node.prev
    node.prev = node.next = undefined
    node.listed = false
    this.size--
  }
}
