/** A small typed event emitter: listeners per event name, `on` returns an unsubscribe. */
export class Emitter<Events extends { [K in keyof Events]: (...args: any[]) => void }> {
  // Null prototype: an event name only finds listeners put under it, never Object.prototype's members.
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

  /**
   * Calls each listener of `name`. A listener that throws does not stop the
   * others or disturb the caller: its error is rethrown in a microtask, so it
   * surfaces as an uncaught error instead of vanishing.
   */
  emit<K extends keyof Events>(name: K, ...args: Parameters<Events[K]>): void {
    const list = this.listeners[name]
    if (list === undefined) return
    for (const listener of list.slice()) {
      try {
        listener(...args)
      } catch (error) {
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }
}
