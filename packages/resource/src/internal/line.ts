/** A node of a {@link Line}: the line links its members through these fields. */
export interface LineNode<N> {
  prev: N | undefined
  next: N | undefined
  /** Whether the node is in a line now (so leaving twice is harmless). */
  queued: boolean
}

/**
 * A FIFO of waiters as an intrusive doubly linked list: push, shift and
 * removing any member (a waiter that timed out or was aborted) are all O(1),
 * with no allocation beyond the waiter itself.
 */
export class Line<N extends LineNode<N>> {
  head: N | undefined = undefined
  tail: N | undefined = undefined
  length = 0

  push(node: N): void {
    node.prev = this.tail
    node.next = undefined
    if (this.tail === undefined) this.head = node
    else this.tail.next = node
    this.tail = node
    node.queued = true
    this.length++
  }

  shift(): N | undefined {
    const node = this.head
    if (node !== undefined) this.remove(node)
    return node
  }

  /** Takes a member out of the line; false when it was not in it. */
  remove(node: N): boolean {
    if (!node.queued) return false
    const { prev, next } = node
    if (prev === undefined) this.head = next
    else prev.next = next
    if (next === undefined) this.tail = prev
    else next.prev = prev
    node.prev = node.next = undefined
    node.queued = false
    this.length--
    return true
  }

  /** Empties the line and returns its members in order. */
  drain(): N[] {
    const out: N[] = []
    for (let n = this.head; n !== undefined;) {
      const next: N | undefined = n.next
      n.prev = n.next = undefined
      n.queued = false
      out.push(n)
      n = next
    }
    this.head = this.tail = undefined
    this.length = 0
    return out
  }
}
