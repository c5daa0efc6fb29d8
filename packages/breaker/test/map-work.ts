// Measures what a synchronous piece of code does with Maps and Sets: the steps
// of every iteration over one (a scan of a table shows here, whatever the code
// calls it) and the largest Map or Set it wrote to. A cost model, not a timer:
// the same on every machine.

export interface MapWork {
  /** `next()` calls on Map and Set iterators (for...of, spread, entries(), values()...). */
  readonly steps: number
  /** The size, once `fn` returned, of the largest Map or Set that `fn` added to. */
  readonly largest: number
  /** Entries written under a string key (a task key): each one a record made or moved. */
  readonly keyWrites: number
}

const mapIterator = Object.getPrototypeOf(new Map().entries()) as { next(): unknown }
const setIterator = Object.getPrototypeOf(new Set().values()) as { next(): unknown }

/** Runs `fn` (synchronously) and reports its Map and Set work. */
export function mapWork(fn: () => void): MapWork {
  const mapNext = mapIterator.next
  const setNext = setIterator.next
  const mapSet = Map.prototype.set
  const setAdd = Set.prototype.add
  // Weakly held, so the tables are measured, not kept alive by the measurement.
  const grown: WeakRef<Map<unknown, unknown> | Set<unknown>>[] = []
  const seen = new WeakSet<object>()
  const note = (table: Map<unknown, unknown> | Set<unknown>): void => {
    if (seen.has(table)) return
    seen.add(table)
    grown.push(new WeakRef(table))
  }
  let steps = 0
  let keyWrites = 0
  mapIterator.next = function (this: unknown) {
    steps++
    return mapNext.call(this)
  }
  setIterator.next = function (this: unknown) {
    steps++
    return setNext.call(this)
  }
  Map.prototype.set = function <K, V>(this: Map<K, V>, key: K, value: V) {
    note(this)
    if (typeof key === 'string') keyWrites++
    return mapSet.call(this, key, value) as Map<K, V>
  }
  Set.prototype.add = function <T>(this: Set<T>, value: T) {
    note(this)
    if (typeof value === 'string') keyWrites++
    return setAdd.call(this, value) as Set<T>
  }
  try {
    fn()
  } finally {
    mapIterator.next = mapNext
    setIterator.next = setNext
    Map.prototype.set = mapSet
    Set.prototype.add = setAdd
  }
  let largest = 0
  for (const ref of grown) largest = Math.max(largest, ref.deref()?.size ?? 0)
  return { steps, largest, keyWrites }
}
