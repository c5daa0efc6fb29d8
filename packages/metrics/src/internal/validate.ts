/** A value as an error message shows it: strings quoted, objects by kind, numbers as they are. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === undefined || value === null) return String(value)
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'symbol') return value.toString()
  if (Array.isArray(value)) return `an array [${value.slice(0, 5).map((v) => describe(v)).join(', ')}${value.length > 5 ? ', ...' : ''}]`
  return 'an object'
}
