import { availableParallelism } from 'node:os'
import { isAbsolute } from 'node:path'
import { pathToFileURL } from 'node:url'
import { resolveRemoteWorkerOptions } from '@poolkit/core/remote'
import type { NodeWorkerOptions } from '../options.js'

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'bigint') return `${value}n`
  if (value === null || typeof value !== 'object') return String(value)
  return Array.isArray(value) ? 'an array' : 'an object'
}

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
  /** `workerData` as JSON, for processes. */
  readonly workerDataJson: string | undefined
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

/** How workers of a kind get `workerData`: copied by structured clone (threads) or as JSON in the environment (processes). */
function checkWorkerData(value: unknown, encoding: 'clone' | 'json'): string | undefined {
  if (value === undefined) return undefined
  if (encoding === 'clone') {
    try {
      structuredClone(value)
    } catch (error) {
      throw new TypeError(`options.workerData must be a value structured clone can copy, got ${describe(value)}: ${(error as Error).message}`)
    }
    return undefined
  }
  let json: string | undefined
  try {
    json = JSON.stringify(value)
  } catch (error) {
    throw new TypeError(`options.workerData must be JSON-safe for processes, got ${describe(value)}: ${(error as Error).message}`)
  }
  if (json === undefined) throw new TypeError(`options.workerData must be JSON-safe for processes, got ${describe(value)}`)
  return json
}

export function resolveNodeOptions(url: unknown, options: NodeWorkerOptions | undefined, kind: 'threads' | 'processes'): ResolvedNodeOptions {
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
    url: workerUrl(url, kind === 'threads' ? ['file:', 'data:'] : ['file:']),
    env: o.env,
    workerData: o.workerData,
    workerDataJson: checkWorkerData(o.workerData, kind === 'threads' ? 'clone' : 'json'),
    argv: stringArray('options.argv', o.argv),
    execArgv: stringArray('options.execArgv', o.execArgv),
    name: o.name,
    defaultConcurrency: availableParallelism(),
    idleTimeout: duration('options.idleTimeout', o.idleTimeout, Infinity),
    minWorkers: nonNegativeInteger('options.minWorkers', o.minWorkers, 0),
  }
}
