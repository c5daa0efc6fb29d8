/** A task running in the simulation: when it ends and how to settle it. */
export interface Completion {
  readonly at: number
  readonly seq: number
  readonly fails: boolean
  readonly resolve: () => void
  readonly reject: (error: unknown) => void
}

const before = (a: Completion, b: Completion): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

/** A binary min-heap of completions by time; ties end in the order they started. */
export class CompletionHeap {
  private readonly items: Completion[] = []

  get size(): number {
    return this.items.length
  }

  /** The earliest end time, or `Infinity` when nothing runs. */
  peekAt(): number {
    return this.items[0]?.at ?? Infinity
  }

  push(item: Completion): void {
    const items = this.items
    let i = items.length
    items.push(item)
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(item, items[parent]!)) break
      items[i] = items[parent]!
      i = parent
    }
    items[i] = item
  }

  pop(): Completion | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined || items.length === 0) return top
    let i = 0
    const n = items.length
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const child = r < n && before(items[r]!, items[l]!) ? r : l
      if (!before(items[child]!, last)) break
      items[i] = items[child]!
      i = child
    }
    items[i] = last
    return top
  }

  /** Removes and returns everything still running. */
  drain(): Completion[] {
    return this.items.splice(0)
  }
}
