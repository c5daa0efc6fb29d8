// The circuits of a breaker: one for everything, or one per key with idle eviction and a cap.

import type { ResolvedCircuitOptions } from './circuit-options.js'
import { Circuit } from './circuit-state.js'

// An idle sweep steps over at most this many busy circuits (open, or with calls
// out), so a crowd of them at the idle end cannot make every call slow.
const SWEEP_SKIPS = 8

/**
 * Finds a task's circuit. Keyed, the map is kept in least-recently-used order
 * (a use moves its circuit to the end), so idle circuits are at the front: the
 * sweep stops at the first one used within `keyIdleMs`.
 */
export class CircuitKeys {
  private readonly map = new Map<string | undefined, Circuit>()

  constructor(private readonly o: ResolvedCircuitOptions) {}

  /** The circuit `key` maps to: the only one when not keyed. */
  keyOf(key: string | undefined): string | undefined {
    return this.o.keyed ? key : undefined
  }

  /** The circuit of `key` if one is tracked; creates none. */
  get(key: string | undefined): Circuit | undefined {
    return this.map.get(this.keyOf(key))
  }

  /**
   * The circuit of `key`, created on first use; `undefined` when `maxKeys`
   * circuits are tracked and none of them can be evicted.
   */
  obtain(key: string | undefined, now: number): Circuit | undefined {
    const k = this.keyOf(key)
    let circuit = this.map.get(k)
    if (!this.o.keyed) {
      if (circuit === undefined) {
        circuit = new Circuit(undefined, this.o, now)
        this.map.set(undefined, circuit)
      }
      circuit.lastUsed = now
      return circuit
    }
    this.sweep(now)
    if (circuit !== undefined) {
      this.touch(circuit, now)
      return circuit
    }
    if (this.map.size >= this.o.maxKeys && !this.evictOne()) return undefined
    circuit = new Circuit(k, this.o, now)
    this.map.set(k, circuit)
    return circuit
  }

  /** Marks a circuit used now (an outcome came in). */
  touch(circuit: Circuit, now: number): void {
    circuit.lastUsed = now
    if (this.o.keyed && this.map.get(circuit.key) === circuit) {
      this.map.delete(circuit.key)
      this.map.set(circuit.key, circuit)
    }
  }

  /** Every tracked circuit. */
  all(): IterableIterator<Circuit> {
    return this.map.values()
  }

  /** Every tracked key, least recently used first, after dropping idle circuits. */
  keys(now: number): (string | undefined)[] {
    if (!this.o.keyed) return []
    this.sweep(now)
    return [...this.map.keys()]
  }

  /** Drops closed circuits with no call out that were idle for `keyIdleMs`. */
  private sweep(now: number): void {
    const idleMs = this.o.keyIdleMs
    if (idleMs === Infinity) return
    let skipped = 0
    for (const [key, circuit] of this.map) {
      if (now - circuit.lastUsed < idleMs) return
      if (circuit.evictable) this.map.delete(key)
      else if (++skipped > SWEEP_SKIPS) return
    }
  }

  /** Makes room at the cap: drops the longest-idle circuit that is closed with no call out. */
  private evictOne(): boolean {
    for (const [key, circuit] of this.map) {
      if (circuit.evictable) {
        this.map.delete(key)
        return true
      }
    }
    return false
  }
}
