/** A small typed event emitter: listeners per event name, `on` returns an unsubscribe. */
export class Emitter<Events extends { [K in keyof Events]: (...args: any[]) => void }> {
  // Null prototype: an event name is never looked up on Object.prototype ('constructor', '__proto__').
  private readonly listeners: { [K in keyof Events]?: Events[K][] } = Object.create(null) as { [K in keyof Events]?: Events[K][] }

  on<K extends keyof Events>(name: K, listener: Events[K]): () => void {
    const list = (this.listeners[name] ??= [])
    list.push(listener)
    let subscribed = true
    return () => {
      // Idempotent: a second call must not remove another registration of the same listener.
      if (!subscribed) return
      subscribed = false
      const current = this.listeners[name]
      if (current === undefined) return
      const i = current.indexOf(listener)
      if (i !== -1) current.splice(i, 1)
      if (current.length === 0) delete this.listeners[name]
    }
  }

  has(name: keyof Events): boolean {
    return this.listeners[name] !== undefined
  }

  /** Calls each listener; returns false when there was none. A throwing listener is passed to `onThrow`. */
  emit<K extends keyof Events>(name: K, args: Parameters<Events[K]>, onThrow: (error: unknown) => void): boolean {
    const list = this.listeners[name]
    if (list === undefined) return false
    for (const listener of list.slice()) {
      try {
        listener(...args)
      } catch (error) {
        onThrow(error)
      }
    }
    return true
  }

  clear(): void {
    for (const k of Object.keys(this.listeners)) delete this.listeners[k as keyof Events]
  }
}
