import { availableParallelism } from 'node:os'
import { isAbsolute } from 'node:path'
import { pathToFileURL } from 'node:url'
import { serialize } from 'node:v8'
import { resolveRemoteWorkerOptions } from '@poolkit/core/remote'
import { describeValue as describe } from '@poolkit/core/validate'
import type { NodeWorkerOptions } from '../options.js'

export { describe }

function nonNegativeInteger(path: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new TypeError(`${path} must be a non-negative integer, got ${describe(value)}`)
  }
  return value
}

function duration(path: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new TypeError(`${path} must be a non-negative number of milliseconds or Infinity, got ${describe(value)}`)
  }
  return value
}

function stringArray(path: string, value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new TypeError(`${path} must be an array of strings, got ${describe(value)}`)
  }
  return value as string[]
}

/** Options checked, with defaults filled in. */
export interface ResolvedNodeOptions {
  readonly url: URL
  readonly env: Record<string, string | undefined> | undefined
  readonly workerData: unknown
  readonly argv: readonly string[] | undefined
  readonly execArgv: readonly string[] | undefined
  readonly name: string | undefined
  readonly concurrentTasksPerWorker: number
  readonly prefetch: number
  readonly prefetchMs: number
  readonly maxTasksPerWorker: number
  readonly maxHeapBytes: number
  readonly unresponsiveTimeout: number
  readonly abortTimeout: number
  readonly closeTimeout: number
  readonly errorClasses: NodeWorkerOptions['errorClasses']
  readonly defaultConcurrency: number
  readonly idleTimeout: number
  readonly minWorkers: number
}

/**
 * A worker file as a URL: a `file:` URL, a URL string, or a path (made absolute
 * against the working directory). Checked here, so a URL the runtime cannot
 * start a worker from fails now rather than at every start.
 * @param protocols - the URL schemes the runtime loads worker code from
 */
export function workerUrl(value: unknown, protocols: readonly string[]): URL {
  if (!(value instanceof URL) && (typeof value !== 'string' || value === '')) {
    throw new TypeError(`workerUrl must be a URL or a non-empty path string, got ${describe(value)}`)
  }
  let url: URL
  if (value instanceof URL) url = value
  else if (/^[a-z][a-z0-9+.-]*:/i.test(value) && !isAbsolute(value)) {
    try {
      url = new URL(value)
    } catch {
      throw new TypeError(`workerUrl must be a URL or a non-empty path string, got ${describe(value)}: not a valid URL`)
    }
  } else url = pathToFileURL(value)
  if (!protocols.includes(url.protocol)) {
    throw new TypeError(`workerUrl must be a path or a ${protocols.join(' or ')} URL, got ${describe(String(url))}`)
  }
  return url
}

/**
 * How workers get `workerData`: threads by structured clone; child processes
 * over their IPC channel, with the channel's serialization (`'advanced'`: V8's
 * serializer, the structured clone of data; `'json'`).
 */
export type WorkerDataEncoding = 'clone' | 'advanced' | 'json'

/** Checks that `workerData` can go to workers of this encoding: refused now rather than at every start. */
function checkedWorkerData(value: unknown, encoding: WorkerDataEncoding): unknown {
  if (value === undefined) return value
  try {
    if (encoding === 'clone') structuredClone(value)
    else if (encoding === 'advanced') serialize(value)
  } catch (error) {
    const how = encoding === 'clone' ? 'threads' : "processes with serialization: 'advanced'"
    throw new TypeError(`options.workerData must be a value structured clone can copy (${how}), got ${describe(value)}: ${(error as Error).message}`)
  }
  if (encoding === 'json') checkJson(value)
  return value
}

/** What JSON does to values it cannot hold, by `Object.prototype.toString` tag. */
const JSON_LOSES: Readonly<Record<string, string>> = {
  '[object Map]': 'a Map, which JSON turns into {}',
  '[object Set]': 'a Set, which JSON turns into {}',
  '[object WeakMap]': 'a WeakMap, which JSON turns into {}',
  '[object WeakSet]': 'a WeakSet, which JSON turns into {}',
  '[object RegExp]': 'a RegExp, which JSON turns into {}',
  '[object Error]': 'an Error, which JSON turns into {}',
  '[object ArrayBuffer]': 'an ArrayBuffer, which JSON turns into {}',
  '[object SharedArrayBuffer]': 'a SharedArrayBuffer, which JSON turns into {}',
}

/** `.key` or `[index]`, as a path step. */
function step(holder: unknown, key: string): string {
  if (Array.isArray(holder)) return `[${key}]`
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`
}

/**
 * Checks that `value` arrives as itself through JSON: no BigInt, function,
 * symbol, non-finite number, Map, Set, binary data or cycle (a Date goes as
 * its ISO string, as JSON sends it). The message names where the value is.
 */
function checkJson(value: unknown): void {
  const paths = new Map<object, string>()
  const fail = (at: string, what: string): never => {
    throw new TypeError(
      `options.workerData must be JSON-safe with serialization: 'json' (or use serialization: 'advanced', the default, which copies it by structured clone): ${at} is ${what}, got ${describe(value)}`,
    )
  }
  try {
    JSON.stringify(value, function (this: unknown, key: string, sent: unknown): unknown {
      const holderPath = paths.get(this as object)
      const at = holderPath === undefined ? 'options.workerData' : holderPath + step(this, key)
      // Before toJSON: a Buffer has one, and would arrive as { type, data }.
      const raw = holderPath === undefined ? value : (this as Record<string, unknown>)[key]
      if (typeof raw === 'bigint') fail(at, `a BigInt (${describe(raw)}), which JSON cannot hold`)
      if (typeof raw === 'function') fail(at, 'a function, which JSON drops')
      if (typeof raw === 'symbol') fail(at, 'a symbol, which JSON drops')
      if (typeof raw === 'number' && !Number.isFinite(raw)) fail(at, `${String(raw)}, which JSON turns into null`)
      if (typeof raw === 'object' && raw !== null) {
        if (ArrayBuffer.isView(raw)) fail(at, `binary data (a ${raw.constructor?.name ?? 'typed array'}), which JSON turns into an object of numbers`)
        const lost = JSON_LOSES[Object.prototype.toString.call(raw)]
        if (lost !== undefined) fail(at, lost)
      }
      if (typeof sent === 'object' && sent !== null && !paths.has(sent)) paths.set(sent, at)
      return sent
    })
  } catch (error) {
    if (error instanceof TypeError && error.message.startsWith('options.workerData')) throw error
    // A cycle, or a getter or toJSON that throws.
    throw new TypeError(`options.workerData must be JSON-safe with serialization: 'json' (or use serialization: 'advanced', the default), got ${describe(value)}: ${(error as Error)?.message}`)
  }
}

/**
 * Checks the options `threads()` and `processes()` share and fills in their defaults.
 * @param workerData - how this kind of worker gets `workerData` (see {@link WorkerDataEncoding})
 */
export function resolveNodeOptions(url: unknown, options: NodeWorkerOptions | undefined, workerData: WorkerDataEncoding): ResolvedNodeOptions {
  const o = options === undefined ? {} : options
  if (typeof o !== 'object' || o === null) throw new TypeError(`options must be an object, got ${describe(o)}`)
  if (o.env !== undefined && (typeof o.env !== 'object' || o.env === null)) throw new TypeError(`options.env must be an object, got ${describe(o.env)}`)
  if (o.name !== undefined && typeof o.name !== 'string') throw new TypeError(`options.name must be a string, got ${describe(o.name)}`)
  const maxHeap = o.maxHeapBeforeRecycle
  if (maxHeap !== undefined && maxHeap !== Infinity && (typeof maxHeap !== 'number' || !(maxHeap > 0))) {
    throw new TypeError(`options.maxHeapBeforeRecycle must be a positive number of megabytes or Infinity, got ${describe(maxHeap)}`)
  }
  return {
    ...resolveRemoteWorkerOptions(o, maxHeap === undefined || maxHeap === Infinity ? Infinity : maxHeap * 1024 * 1024),
    // Threads load ES modules from data: URLs too; a child process needs a file.
    url: workerUrl(url, workerData === 'clone' ? ['file:', 'data:'] : ['file:']),
    env: o.env,
    workerData: checkedWorkerData(o.workerData, workerData),
    argv: stringArray('options.argv', o.argv),
    execArgv: stringArray('options.execArgv', o.execArgv),
    name: o.name,
    defaultConcurrency: availableParallelism(),
    idleTimeout: duration('options.idleTimeout', o.idleTimeout, Infinity),
    minWorkers: nonNegativeInteger('options.minWorkers', o.minWorkers, 0),
  }
}
