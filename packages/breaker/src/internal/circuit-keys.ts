// The circuits of a breaker: one for everything, or one per key with idle eviction and a cap.

import type { ResolvedCircuitOptions } from './circuit-options.js'
import { Circuit } from './circuit-state.js'
import { OrderList } from './order-list.js'

/**
 * Finds a task's circuit: the only one when not keyed, else one per key with
 * idle eviction and a cap, each in O(1) amortized.
 *
 * Keyed, every circuit is in `map`; the ones that may be evicted (closed, no
 * call out) are also in `order`, least recently released first: a circuit
 * moves to the back whenever a call of it ends (or it is reset) and it is
 * evictable then. A circuit that became busy stays in `order` until it comes
 * to the front, where it is taken out (it returns at its next release). So
 * the front of `order` is always the longest-idle evictable circuit, found
 * with no scan, and every circuit taken out was put in once: a start costs a
 * map lookup and a look at the front of the order, an outcome a move to its
 * back (a few pointers), a new key at the cap one eviction, all O(1).
 */
export class CircuitKeys {
  private readonly map = new Map<string | undefined, Circuit>()
  private readonly order = new OrderList<Circuit>()
  /** The circuit when not keyed, made on first use. */
  private single: Circuit | undefined = undefined

  constructor(private readonly o: ResolvedCircuitOptions) {}

  /** The circuit `key` maps to: the only one when not keyed. */
  keyOf(key: string | undefined): string | undefined {
    return this.o.keyed ? key : undefined
  }

  /** The circuit of `key` if one is tracked; creates none. */
  get(key: string | undefined): Circuit | undefined {
    return this.o.keyed ? this.map.get(key) : this.single
  }

  /**
   * The circuit of `key`, created on first use; `undefined` when `maxKeys`
   * circuits are tracked and none of them can be evicted. `now` marks it used
   * (keyed; an approximate time is enough for idle eviction).
   */
  obtain(key: string | undefined, now: number): Circuit | undefined {
    if (!this.o.keyed) return (this.single ??= new Circuit(undefined, this.o, now))
    // Every start looks at the front of the order for circuits idle too long:
    // a glance when there are none, and each one dropped was listed once.
    this.sweep(now)
    let circuit = this.map.get(key)
    if (circuit !== undefined) {
      if (now > circuit.lastUsed) circuit.lastUsed = now
      return circuit
    }
    if (this.map.size >= this.o.maxKeys) {
      circuit = this.evictOne()
      if (circuit === undefined) return undefined
      circuit.renew(key, now)
    } else {
      circuit = new Circuit(key, this.o, now)
    }
    this.map.set(key, circuit)
    this.order.push(circuit)
    return circuit
  }

  /**
   * A call of the circuit ended, or it was reset: marks it used now and, if it
   * may be evicted, puts it at the back of the eviction order.
   */
  released(circuit: Circuit, now: number): void {
    if (now > circuit.lastUsed) circuit.lastUsed = now
    if (this.o.keyed && circuit.evictable) this.order.push(circuit)
  }

  /** Every tracked circuit. */
  all(): Circuit[] {
    return this.o.keyed ? [...this.map.values()] : this.single === undefined ? [] : [this.single]
  }

  /** Every tracked key, least recently used first, after dropping idle circuits. */
  keys(now: number): (string | undefined)[] {
    if (!this.o.keyed) return []
    this.sweep(now)
    return [...this.map.values()].sort((a, b) => a.lastUsed - b.lastUsed).map((c) => c.key)
  }

  /** Drops closed circuits with no call out that were idle for `keyIdleMs`, from the front of the order. */
  private sweep(now: number): void {
    const idleMs = this.o.keyIdleMs
    if (idleMs === Infinity) return
    for (let circuit = this.order.first; circuit !== undefined; circuit = this.order.first) {
      if (circuit.evictable && now - circuit.lastUsed < idleMs) return
      this.order.remove(circuit)
      if (circuit.evictable) this.map.delete(circuit.key)
    }
  }

  /** Makes room at the cap: drops the longest-idle circuit that is closed with no call out, and returns it to be renewed. */
  private evictOne(): Circuit | undefined {
    for (let circuit = this.order.first; circuit !== undefined; circuit = this.order.first) {
      this.order.remove(circuit)
      if (circuit.evictable) {
        this.map.delete(circuit.key)
        return circuit
      }
    }
    return undefined
  }
}
