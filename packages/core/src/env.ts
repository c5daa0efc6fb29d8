import { describe } from './internal/validate.js'

/**
 * Reads a concurrency from an environment variable, for deployments that size
 * pools from their environment (`POOL_CONCURRENCY=8`). Returns `fallback` when
 * the variable is unset or empty, or where there is no environment (browsers).
 * @throws TypeError when the variable holds anything but a positive integer.
 * @example
 * ```ts
 * const pool = createPool({ handler, concurrency: concurrencyFromEnv('FETCH_CONCURRENCY', 16) })
 * ```
 * @public
 */
export function concurrencyFromEnv(name: string, fallback: number): number {
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`concurrencyFromEnv(name) must be a non-empty string, got ${describe(name)}`)
  }
  if (typeof fallback !== 'number' || !Number.isInteger(fallback) || fallback < 1) {
    throw new TypeError(`concurrencyFromEnv(${name}, fallback) must be a positive integer, got ${describe(fallback)}`)
  }
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
  const raw = env?.[name]
  if (raw === undefined || raw.trim() === '') return fallback
  const text = raw.trim()
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`The environment variable ${name} must be a positive integer, got ${JSON.stringify(raw)}`)
  }
  return value
}
