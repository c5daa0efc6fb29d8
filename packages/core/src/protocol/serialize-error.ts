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
const MAX_DEPTH = 8

/** An Error of this realm or another (a `vm` context, an iframe), or a DOMException. */
function isErrorLike(value: unknown): value is Error {
  if (value instanceof Error || Object.prototype.toString.call(value) === '[object Error]') return true
  if (typeof value !== 'object' || value === null) return false
  const v = value as { message?: unknown; name?: unknown; stack?: unknown }
  return typeof v.message === 'string' && typeof v.name === 'string' && typeof v.stack === 'string'
}

function cloneable(value: unknown, seen: Set<unknown>): unknown {
  // Functions and symbols cannot cross postMessage; cycles are cut.
  switch (typeof value) {
    case 'function':
    case 'symbol':
      return undefined
    case 'bigint':
      return value
    case 'object':
      break
    default:
      return value
  }
  if (value === null) return null
  if (seen.has(value)) return undefined
  // Errors nested in fields share the path, so errors that point at each other end.
  if (isErrorLike(value)) return serialize(value, 0, seen)
  seen.add(value)
  try {
    if (Array.isArray(value)) return value.map((v) => cloneable(v, seen))
    if (value instanceof Date || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value
    // A plain object of any realm: its prototype is null or some realm's Object.prototype.
    const proto = Object.getPrototypeOf(value) as object | null
    if (proto !== null && Object.getPrototypeOf(proto) !== null) return String(value)
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(value)) {
      const v = cloneable((value as Record<string, unknown>)[k], seen)
      if (v !== undefined) out[k] = v
    }
    return out
  } finally {
    seen.delete(value)
  }
}

/**
 * Turns a thrown value into plain data for the worker message protocol.
 * Errors keep name, message, stack, code, cause and own enumerable fields;
 * other thrown values are wrapped as they are.
 * @public
 */
export function serializeError(error: unknown): SerializedError | SerializedValue {
  return serialize(error, 0, new Set())
}

/** `seen` holds the objects on the path from the outermost error: a cycle is cut where it closes. */
function serialize(error: unknown, depth: number, seen: Set<unknown>): SerializedError | SerializedValue {
  if (!isErrorLike(error)) return { __poolkitValue: 1, value: cloneable(error, seen) }
  seen.add(error)
  try {
    let props: Record<string, unknown> | undefined
    for (const k of Object.keys(error)) {
      if (RESERVED.has(k)) continue
      const v = cloneable((error as unknown as Record<string, unknown>)[k], seen)
      if (v !== undefined) (props ??= {})[k] = v
    }
    const code = (error as { code?: unknown }).code
    const cause = (error as { cause?: unknown }).cause
    return {
      __poolkitError: 1,
      name: typeof error.name === 'string' ? error.name : 'Error',
      message: typeof error.message === 'string' ? error.message : String(error.message),
      stack: typeof error.stack === 'string' ? error.stack : undefined,
      code: typeof code === 'string' || typeof code === 'number' ? code : undefined,
      cause: cause === undefined || depth >= MAX_DEPTH || seen.has(cause) ? undefined : serialize(cause, depth + 1, seen),
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
  return (
    typeof value === 'object' &&
    value !== null &&
    ((value as { __poolkitError?: unknown }).__poolkitError === 1 ||
      (value as { __poolkitValue?: unknown }).__poolkitValue === 1)
  )
}

const BUILT_IN: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
}

/**
 * An error class that {@link deserializeError} may rebuild an error as.
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
const POOL_ERRORS: readonly ErrorClass[] = [
  PoolError,
  QueueFullError,
  TaskDroppedError,
  TaskTimeoutError,
  PoolClosedError,
  CircuitOpenError,
  WorkerExitError,
  WorkerStartError,
]

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
    error = Object.create(Registered.prototype) as Error & Record<string, unknown>
    define(error, 'message', s.message)
    if (cause !== undefined) define(error, 'cause', cause)
  } else {
    const Ctor = BUILT_IN[s.name] ?? Error
    error = (cause === undefined ? new Ctor(s.message) : new Ctor(s.message, { cause })) as Error & Record<string, unknown>
  }
  if (error.name !== s.name) define(error, 'name', s.name)
  define(error, 'stack', s.stack ?? `${s.name}: ${s.message}`)
  if (s.code !== undefined) error.code = s.code
  if (s.props !== undefined) {
    for (const [k, v] of Object.entries(s.props)) error[k] = revive(v, classes, 0)
  }
  return error
}

/** Turns serialised errors back into errors wherever they sit in a field's value (arrays, plain objects). */
function revive(value: unknown, classes: ErrorClasses | undefined, depth: number): unknown {
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value
  if (isSerializedError(value)) return deserializeError(value, classes)
  if (Array.isArray(value)) return value.map((v) => revive(v, classes, depth + 1))
  const proto = Object.getPrototypeOf(value) as object | null
  if (proto !== null && Object.getPrototypeOf(proto) !== null) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = revive(v, classes, depth + 1)
  return out
}
