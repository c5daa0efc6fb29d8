// The circuits of a breaker: one for everything, or one per key with idle eviction and a cap.

import type { ResolvedCircuitOptions } from './circuit-options.js'
import { Circuit } from './circuit-state.js'

// Keyed, idle circuits are swept once every this many acquires (a scan of the
// map), so a call costs a map lookup and no reordering.
const SWEEP_EVERY = 256

/** Finds a task's circuit: the only one when not keyed, else one per key with idle eviction and a cap. */
export class CircuitKeys {
  private readonly map = new Map<string | undefined, Circuit>()
  /** The circuit when not keyed, made on first use. */
  private single: Circuit | undefined = undefined
  private untilSweep = SWEEP_EVERY

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
    if (--this.untilSweep <= 0) {
      this.untilSweep = SWEEP_EVERY
      this.sweep(now)
    }
    let circuit = this.map.get(key)
    if (circuit !== undefined) {
      circuit.lastUsed = now
      return circuit
    }
    if (this.map.size >= this.o.maxKeys && !this.evictOne(now)) return undefined
    circuit = new Circuit(key, this.o, now)
    this.map.set(key, circuit)
    return circuit
  }

  /** Marks a circuit used now (an outcome came in). */
  touch(circuit: Circuit, now: number): void {
    if (now > circuit.lastUsed) circuit.lastUsed = now
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

  /** Drops closed circuits with no call out that were idle for `keyIdleMs`. */
  private sweep(now: number): void {
    const idleMs = this.o.keyIdleMs
    if (idleMs === Infinity) return
    for (const [key, circuit] of this.map) if (now - circuit.lastUsed >= idleMs && circuit.evictable) this.map.delete(key)
  }

  /** Makes room at the cap: drops the longest-idle circuit that is closed with no call out. */
  private evictOne(now: number): boolean {
    this.sweep(now)
    if (this.map.size < this.o.maxKeys) return true
    let oldest: Circuit | undefined
    for (const circuit of this.map.values()) if (circuit.evictable && (oldest === undefined || circuit.lastUsed < oldest.lastUsed)) oldest = circuit
    if (oldest === undefined) return false
    this.map.delete(oldest.key)
    return true
  }
}
