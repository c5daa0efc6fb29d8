// The one event emitter of poolkit: the pool's, the resource pool's and the
// circuit breaker's `on()` are all this, so a listener that throws is treated
// the same way everywhere. Public at `@poolkit/core/emitter`.

/**
 * The arguments an emitter's `'error'` listeners get, for an `Events` map that has an `'error'` event.
 * @public
 */
export type ErrorEventArgs<Events> = 'error' extends keyof Events ? (Events['error' & keyof Events] extends (...args: infer A) => void ? A : never) : never

/**
 * Throws `error` again in a microtask, so it surfaces as an uncaught exception
 * (Node's `'uncaughtException'`, a page's `error` event) without disturbing the
 * code that caught it. For errors thrown by user code a library calls back (a
 * listener, a predicate) that nobody else is told about, as a throwing
 * `EventTarget` listener's error is reported.
 * @param error - what the user code threw
 * @public
 */
export function rethrowLater(error: unknown): void {
  queueMicrotask(() => {
    throw error
  })
}

/**
 * A small typed event emitter: listeners per event name, `on()` returns an
 * unsubscribe function. Every poolkit package's `on()` is built on it, so they
 * all treat a listener that throws the same way:
 *
 * - Listeners run synchronously, in the order they were added; one added or
 *   removed during an emit takes effect from the next emit.
 *
 * - A listener that throws never disturbs the emitter's owner nor stops the
 *   other listeners: its error is caught, the remaining listeners still run, and
 *   the owner's state is as if the listener had returned.
 *
 * - The error is never lost. On an emitter with an `'error'` event (made with
 *   `errorArgs`), it is emitted as `'error'` when someone listens to that;
 *   otherwise, and when an `'error'` listener itself throws, it is rethrown in a
 *   microtask ({@link rethrowLater}), so it surfaces as an uncaught exception,
 *   as a throwing `EventTarget` listener's does.
 *
 * - An `'error'` the owner emits for its own failures (a worker that crashed, a
 *   destroy that threw) reports something it has already handled: with no
 *   listener it is dropped, where Node's `EventEmitter` would throw it.
 * @example
 * ```ts
 * import { Emitter } from '@poolkit/core/emitter'
 *
 * interface MyEvents {
 *   ready: () => void
 *   error: (error: unknown) => void
 * }
 * const events = new Emitter<MyEvents>((error) => [error])
 * const off = events.on('ready', () => console.log('ready'))
 * events.emit('ready', [])
 * off()
 * ```
 * @public
 */
export class Emitter<Events extends { [K in keyof Events]: (...args: any[]) => void }> {
  // Null prototype: an event name is never looked up on Object.prototype ('constructor', '__proto__').
  private readonly listeners: { [K in keyof Events]?: Events[K][] } = Object.create(null) as { [K in keyof Events]?: Events[K][] }
  private readonly errorArgs: ((error: unknown) => ErrorEventArgs<Events>) | undefined

  /**
   * @param errorArgs - for an `Events` map with an `'error'` event: the
   * arguments its listeners get for a listener's throw (`(error) => [error]`).
   * Left out, a listener's throw is always rethrown in a microtask.
   */
  constructor(errorArgs?: (error: unknown) => ErrorEventArgs<Events>) {
    this.errorArgs = errorArgs
  }

  /**
   * Adds a listener of `name`.
   * @param name - the event
   * @param listener - called with the event's arguments on each emit
   * @returns a function that removes this registration; calling it again does nothing
   */
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

  /**
   * Whether `name` has a listener: lets an owner skip building an event nobody hears.
   * @param name - the event
   */
  has(name: keyof Events): boolean {
    return this.listeners[name] !== undefined
  }

  /**
   * Calls each listener of `name` with `args`; a listener that throws is
   * handled as the class describes, never thrown from here.
   * @param name - the event
   * @param args - the listeners' arguments
   * @returns false when `name` had no listener (an unheard `'error'` is dropped)
   */
  emit<K extends keyof Events>(name: K, args: Parameters<Events[K]>): boolean {
    const list = this.listeners[name]
    if (list === undefined) return false
    for (const listener of list.slice()) {
      try {
        listener(...args)
      } catch (error) {
        this.listenerThrew(name, error)
      }
    }
    return true
  }

  /** Removes every listener (the owner closed). */
  clear(): void {
    for (const k of Object.keys(this.listeners)) delete this.listeners[k as keyof Events]
  }

  private listenerThrew(name: keyof Events, error: unknown): void {
    const errorEvent = 'error' as keyof Events
    // An 'error' listener's own throw goes to the microtask: emitting it as 'error' again could loop.
    if (this.errorArgs !== undefined && name !== errorEvent && this.has(errorEvent)) {
      this.emit(errorEvent, this.errorArgs(error) as unknown as Parameters<Events[keyof Events]>)
    } else {
      rethrowLater(error)
    }
  }
}
