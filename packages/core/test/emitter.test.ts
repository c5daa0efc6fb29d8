// The one event emitter (`@poolkit/core/emitter`) that the pool, the resource
// pool and the circuit breaker build `on()` on: what happens to a listener that throws.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Emitter, rethrowLater } from '../src/emitter.js'

interface Events {
  tick: (n: number) => void
  error: (error: unknown, where: string) => void
}

/** Captures what rethrowLater queues instead of letting it throw in a microtask. */
function deferMicrotasks(): (() => void)[] {
  const later: (() => void)[] = []
  vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((cb) => void later.push(cb))
  return later
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('Emitter', () => {
  it('calls the listeners in the order they were added, with the arguments, and says whether there was one', () => {
    const events = new Emitter<Events>()
    const seen: string[] = []
    expect(events.emit('tick', [1])).toBe(false)
    events.on('tick', (n) => seen.push(`a${n}`))
    events.on('tick', (n) => seen.push(`b${n}`))
    expect(events.emit('tick', [2])).toBe(true)
    expect(seen).toEqual(['a2', 'b2'])
  })

  it('removes one registration per unsubscribe, and a second call of it does nothing', () => {
    const events = new Emitter<Events>()
    const listener = vi.fn()
    const off = events.on('tick', listener)
    events.on('tick', listener)
    off()
    off()
    events.emit('tick', [1])
    expect(listener).toHaveBeenCalledOnce()
    expect(events.has('tick')).toBe(true)
  })

  it('applies a listener added or removed during an emit from the next emit', () => {
    const events = new Emitter<Events>()
    const late = vi.fn()
    let offSecond = (): void => {}
    events.on('tick', () => {
      events.on('tick', late)
      offSecond()
    })
    const second = vi.fn()
    offSecond = events.on('tick', second)
    events.emit('tick', [1])
    expect(second).toHaveBeenCalledOnce()
    expect(late).not.toHaveBeenCalled()
    events.emit('tick', [2])
    expect(second).toHaveBeenCalledOnce()
    expect(late).toHaveBeenCalledOnce()
  })

  it('never looks an event name up on Object.prototype', () => {
    const events = new Emitter<Record<string, () => void>>()
    expect(events.has('constructor')).toBe(false)
    expect(events.emit('__proto__', [])).toBe(false)
  })

  it("gives a listener's throw to the 'error' listeners, and still calls the other listeners", () => {
    const later = deferMicrotasks()
    const events = new Emitter<Events>((error) => [error, 'listener'])
    const boom = new Error('listener bug')
    const errors: unknown[][] = []
    events.on('error', (...args) => errors.push(args))
    events.on('tick', () => {
      throw boom
    })
    const after = vi.fn()
    events.on('tick', after)
    expect(() => events.emit('tick', [1])).not.toThrow()
    expect(after).toHaveBeenCalledWith(1)
    expect(errors).toEqual([[boom, 'listener']])
    expect(later).toHaveLength(0)
  })

  it("rethrows a listener's throw in a microtask when nobody listens to 'error'", () => {
    const later = deferMicrotasks()
    const events = new Emitter<Events>((error) => [error, 'listener'])
    events.on('tick', () => {
      throw new Error('listener bug')
    })
    expect(events.emit('tick', [1])).toBe(true)
    expect(later).toHaveLength(1)
    expect(() => later[0]!()).toThrow('listener bug')
  })

  it("rethrows an 'error' listener's own throw in a microtask, and the other 'error' listeners still run", () => {
    const later = deferMicrotasks()
    const events = new Emitter<Events>((error) => [error, 'listener'])
    events.on('error', () => {
      throw new Error('error listener bug')
    })
    const other = vi.fn()
    events.on('error', other)
    events.emit('error', [new Error('failed'), 'destroy'])
    expect(other).toHaveBeenCalledOnce()
    expect(later).toHaveLength(1)
    expect(() => later[0]!()).toThrow('error listener bug')
  })

  it("drops an 'error' the owner emits when nobody listens (it reports what the owner has handled)", () => {
    const later = deferMicrotasks()
    const events = new Emitter<Events>((error) => [error, 'listener'])
    expect(events.emit('error', [new Error('failed'), 'destroy'])).toBe(false)
    expect(later).toHaveLength(0)
  })

  it("rethrows every listener's throw in a microtask on an emitter made without errorArgs", () => {
    const later = deferMicrotasks()
    const events = new Emitter<Events>()
    events.on('error', vi.fn())
    events.on('tick', () => {
      throw new Error('listener bug')
    })
    events.emit('tick', [1])
    expect(later).toHaveLength(1)
  })

  it('clear() removes every listener', () => {
    const events = new Emitter<Events>()
    const listener = vi.fn()
    events.on('tick', listener)
    events.clear()
    expect(events.has('tick')).toBe(false)
    expect(events.emit('tick', [1])).toBe(false)
    expect(listener).not.toHaveBeenCalled()
  })
})

describe('rethrowLater', () => {
  it('throws the error in a microtask, not now', () => {
    const later = deferMicrotasks()
    const error = new Error('later')
    expect(() => rethrowLater(error)).not.toThrow()
    expect(later).toHaveLength(1)
    expect(() => later[0]!()).toThrow(error)
  })
})
