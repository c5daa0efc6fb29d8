import { describeThrown, lastReadError, read, toText, UNREADABLE } from '../internal/describe.js'
import { CircuitOpenError, PoolClosedError, PoolError, QueueFullError, TaskDroppedError, TaskTimeoutError, WorkerExitError, WorkerStartError } from '../errors.js'

/**
 * An error in a form that survives `postMessage` and JSON: its name, message,
 * stack, code, cause (itself serialised) and own enumerable fields.
 * @public
 */
export interface SerializedError {
  readonly __poolkitError: 1
  readonly name: string
  readonly message: string
  readonly stack?: string | undefined
  readonly code?: string | number | undefined
  readonly cause?: SerializedError | SerializedValue | undefined
  /** Own enumerable fields other than the above, where they can be cloned. */
  readonly props?: Record<string, unknown> | undefined
}

/**
 * A thrown value that is not an error (`throw 'text'`, `throw 42`), kept as is.
 * @public
 */
export interface SerializedValue {
  readonly __poolkitValue: 1
  readonly value: unknown
}

const RESERVED = new Set(['name', 'message', 'stack', 'code', 'cause'])
/** Links of a cause chain kept. */
const MAX_CAUSES = 8
/** Levels of nesting kept in a thrown value or an error's fields; deeper parts are dropped. */
const MAX_NESTING = 64

// Brand checks: `instanceof` can be fooled by a proxy (its getPrototypeOf trap), which structured clone then refuses.
/* eslint-disable @typescript-eslint/unbound-method -- both are only called with .call(value) */
const getTime = Date.prototype.getTime
const byteLength = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength')!.get!
/* eslint-enable @typescript-eslint/unbound-method */

/** An Error of this realm or another (a `vm` context, an iframe), or a DOMException. Never throws. */
function isErrorLike(value: unknown): value is Error {
  if (typeof value !== 'object' || value === null) return false
  try {
    if (value instanceof Error) return true
  } catch {
    // A proxy whose getPrototypeOf trap throws: try the other tests.
  }
  try {
    if (Object.prototype.toString.call(value) === '[object Error]') return true
  } catch {
    // A revoked proxy, or a throwing Symbol.toStringTag getter.
  }
  return typeof read(value, 'message') === 'string' && typeof read(value, 'name') === 'string' && typeof read(value, 'stack') === 'string'
}

/** Sets a field as data, so a `__proto__` key stays a field instead of replacing the prototype. */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true })
  else target[key] = value
}

/**
 * `value` as data that structured clone and JSON carry. Functions, symbols,
 * cycles, fields whose getter throws and what is nested too deep are left out
 * (undefined). Throws only where `value` itself cannot be read at all (a proxy
 * whose traps throw, a revoked one): the caller leaves it out.
 */
function cloneable(value: unknown, seen: Set<unknown>, depth: number): unknown {
  switch (typeof value) {
    case 'function':
    case 'symbol':
      return undefined
    case 'object':
      break
    default:
      return value
  }
  if (value === null) return null
  if (seen.has(value) || depth > MAX_NESTING) return undefined
  // Errors nested in fields share the path, so errors that point at each other end.
  if (isErrorLike(value)) return serialize(value, 0, depth, seen)
  seen.add(value)
  try {
    if (Array.isArray(value)) {
      // By its own keys, not by index: a sparse array with a huge length costs what it holds.
      const out: unknown[] = []
      const length = read(value, 'length')
      if (typeof length === 'number' && Number.isInteger(length) && length >= 0 && length < 2 ** 32) out.length = length
      for (const k of Object.keys(value)) {
        if (!/^(?:0|[1-9]\d*)$/.test(k) || Number(k) >= out.length) continue
        const v = field(value, k, seen, depth)
        if (v !== undefined) out[k as unknown as number] = v
      }
      return out
    }
    if (ArrayBuffer.isView(value)) return value
    if (value instanceof Date) return new Date(getTime.call(value))
    if (value instanceof ArrayBuffer) {
      byteLength.call(value)
      return value
    }
    // A plain object of any realm: its prototype is null or some realm's Object.prototype.
    const proto = Object.getPrototypeOf(value) as object | null
    if (proto !== null && Object.getPrototypeOf(proto) !== null) return toText(value)
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(value)) {
      const v = field(value, k, seen, depth)
      if (v !== undefined) put(out, k, v)
    }
    return out
  } finally {
    seen.delete(value)
  }
}

/** The cloneable value of `target[key]`; undefined where it cannot be read or cloned. */
function field(target: object, key: string, seen: Set<unknown>, depth: number): unknown {
  const raw = read(target, key)
  if (raw === UNREADABLE) return undefined
  try {
    return cloneable(raw, seen, depth + 1)
  } catch {
    return undefined
  }
}

/** The last resort: a plain error saying why `error` could not be serialised. */
function unserialisable(reason: unknown): SerializedError {
  return { __poolkitError: 1, name: 'Error', message: `<the error could not be serialised: ${describeThrown(reason)}>` }
}

/**
 * Turns a thrown value into plain data for the worker message protocol.
 * Errors keep name, message, stack, code, cause and own enumerable fields;
 * other thrown values are wrapped as they are.
 *
 * Never throws, whatever is thrown: a field whose getter or proxy trap throws
 * is left out (or, for `name` and `message`, replaced: `'Error'`, a message
 * saying it could not be read), as are functions, symbols, cycles, cause chains
 * past 8 links and values nested past 64 levels; a value that cannot be read
 * at all (a proxy whose traps throw, a revoked proxy) becomes an error whose
 * message says why: `<the error could not be serialised: ...>`.
 * @public
 */
export function serializeError(error: unknown): SerializedError | SerializedValue {
  try {
    return serialize(error, 0, 0, new Set())
  } catch (reason) {
    // Past every field-by-field fallback (a stack overflow, say).
    return unserialisable(reason)
  }
}

/**
 * `seen` holds the objects on the path from the outermost error: a cycle is cut
 * where it closes. `causes` counts the links of the cause chain, `depth` the
 * levels of nesting above.
 */
function serialize(error: unknown, causes: number, depth: number, seen: Set<unknown>): SerializedError | SerializedValue {
  if (!isErrorLike(error)) {
    try {
      return { __poolkitValue: 1, value: cloneable(error, seen, depth) }
    } catch (reason) {
      return unserialisable(reason)
    }
  }
  seen.add(error)
  try {
    let props: Record<string, unknown> | undefined
    let keys: string[] = []
    try {
      keys = Object.keys(error)
    } catch {
      // A proxy whose ownKeys trap throws: no fields, the rest still reads.
    }
    for (const k of keys) {
      if (RESERVED.has(k)) continue
      const v = field(error, k, seen, depth)
      if (v !== undefined) put((props ??= {}), k, v)
    }
    const name = read(error, 'name')
    const message = read(error, 'message')
    const messageError = message === UNREADABLE ? lastReadError() : undefined
    const stack = read(error, 'stack')
    const code = read(error, 'code')
    const cause = read(error, 'cause')
    return {
      __poolkitError: 1,
      name: typeof name === 'string' ? name : 'Error',
      message:
        typeof message === 'string'
          ? message
          : message === UNREADABLE
            ? `<the error message could not be read: ${describeThrown(messageError)}>`
            : (toText(message) ?? '<the error message could not be converted to a string>'),
      stack: typeof stack === 'string' ? stack : undefined,
      code: typeof code === 'string' || typeof code === 'number' ? code : undefined,
      cause: cause === undefined || cause === UNREADABLE || causes >= MAX_CAUSES || depth >= MAX_NESTING || seen.has(cause) ? undefined : serialize(cause, causes + 1, depth + 1, seen),
      props,
    }
  } finally {
    seen.delete(error)
  }
}

/**
 * Tells whether a value is the output of {@link serializeError}.
 * @public
 */
export function isSerializedError(value: unknown): value is SerializedError | SerializedValue {
  return typeof value === 'object' && value !== null && ((value as { __poolkitError?: unknown }).__poolkitError === 1 || (value as { __poolkitValue?: unknown }).__poolkitValue === 1)
}

// A Map, so a name such as `__proto__` or `toString` finds nothing.
const BUILT_IN = new Map<string, ErrorConstructor>([Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError].map((c) => [c.name, c]))

/**
 * An error class that an error from a worker may be rebuilt as (by
 * `deserializeError` of `@poolkit/core/worker`, and by the adapters' `errorClasses` option).
 * @public
 */
export type ErrorClass = abstract new (...args: any[]) => Error

/**
 * The error classes an error is rebuilt as, by the `name` the error had: a map
 * from name to class, or a list of classes (each under its class name).
 * @public
 */
export type ErrorClasses = ReadonlyMap<string, ErrorClass> | readonly ErrorClass[]

// The pool's own errors come back as themselves (a task may use a pool too).
const POOL_ERRORS: readonly ErrorClass[] = [PoolError, QueueFullError, TaskDroppedError, TaskTimeoutError, PoolClosedError, CircuitOpenError, WorkerExitError, WorkerStartError]

function lookup(classes: ErrorClasses | undefined, name: string): ErrorClass | undefined {
  if (classes !== undefined) {
    if (Array.isArray(classes)) {
      for (const c of classes as readonly ErrorClass[]) if (c.name === name) return c
    } else {
      const found = (classes as ReadonlyMap<string, ErrorClass>).get(name)
      if (found !== undefined) return found
    }
  }
  for (const c of POOL_ERRORS) if (c.name === name) return c
  return undefined
}

function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: false })
}

/**
 * Rebuilds an error from {@link serializeError}'s output. Its class is, in
 * order: one of `classes` registered under the error's name (rebuilt without
 * calling its constructor, so `instanceof` holds whatever the constructor takes),
 * one of the pool's own errors, a built-in one (`TypeError`...), or else `Error`
 * with the original `name`. Stack, code, cause (rebuilt the same way) and own
 * fields are restored.
 * @param classes - error classes the main side knows, by name
 * @public
 */
export function deserializeError(data: SerializedError | SerializedValue, classes?: ErrorClasses): unknown {
  if ((data as SerializedValue).__poolkitValue === 1) return (data as SerializedValue).value
  const s = data as SerializedError
  const cause = s.cause === undefined ? undefined : deserializeError(s.cause, classes)
  let error: Error & Record<string, unknown>
  const Registered = lookup(classes, s.name)
  if (Registered !== undefined) {
    error = Object.create(Registered.prototype as object) as Error & Record<string, unknown>
    define(error, 'message', s.message)
    if (cause !== undefined) define(error, 'cause', cause)
  } else {
    const Ctor = BUILT_IN.get(s.name) ?? Error
    error = (cause === undefined ? new Ctor(s.message) : new Ctor(s.message, { cause })) as Error & Record<string, unknown>
  }
  if (error.name !== s.name) define(error, 'name', s.name)
  define(error, 'stack', s.stack ?? `${s.name}: ${s.message}`)
  if (s.code !== undefined) error.code = s.code
  if (s.props !== undefined) {
    for (const [k, v] of Object.entries(s.props)) put(error, k, revive(v, classes, 0))
  }
  return error
}

/** Turns serialised errors back into errors wherever they sit in a field's value (arrays, plain objects). */
function revive(value: unknown, classes: ErrorClasses | undefined, depth: number): unknown {
  if (typeof value !== 'object' || value === null || depth > MAX_NESTING) return value
  if (isSerializedError(value)) return deserializeError(value, classes)
  if (Array.isArray(value)) return value.map((v) => revive(v, classes, depth + 1))
  const proto = Object.getPrototypeOf(value) as object | null
  if (proto !== null && Object.getPrototypeOf(proto) !== null) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) put(out, k, revive(v, classes, depth + 1))
  return out
}
