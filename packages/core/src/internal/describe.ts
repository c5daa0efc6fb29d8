// Reading values a user threw, which may be hostile: getters and proxy traps
// that throw, revoked proxies, objects String() cannot convert. Nothing here
// throws, whatever it is given.

/** What {@link read} returns when a getter or a proxy trap threw; {@link lastReadError} holds what it threw. */
export const UNREADABLE: unique symbol = Symbol('poolkit.unreadable')

let lastReason: unknown

/** What the last {@link read} that returned {@link UNREADABLE} caught; forgotten once taken, so nothing holds on to it. */
export function lastReadError(): unknown {
  const reason = lastReason
  lastReason = undefined
  return reason
}

/** `target[key]`, or {@link UNREADABLE} where a getter or a proxy trap throws. */
export function read(target: object, key: string): unknown {
  try {
    return (target as Record<string, unknown>)[key]
  } catch (reason) {
    lastReason = reason
    return UNREADABLE
  }
}

/** `String(value)`, else `[object Tag]`, else undefined: an object whose `toString` throws, `Object.create(null)`, a revoked proxy. */
export function toText(value: unknown): string | undefined {
  try {
    return String(value)
  } catch {
    // Falls back to the tag.
  }
  try {
    return Object.prototype.toString.call(value)
  } catch {
    return undefined
  }
}

/**
 * One line saying what a thrown value is, for messages: `Name: message` for an
 * error-like value, else its text. Never throws.
 */
export function describeThrown(value: unknown): string {
  if (typeof value === 'string') return value
  if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
    const message = read(value, 'message')
    if (typeof message === 'string') {
      const name = read(value, 'name')
      return typeof name === 'string' && name !== '' ? `${name}: ${message}` : message
    }
  }
  return toText(value) ?? 'a value that cannot be described'
}
