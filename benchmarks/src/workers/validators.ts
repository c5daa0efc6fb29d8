// The routing suite's per-key work, shared by its worker file and the suite: each key
// has a validator that is expensive to build (a schema parsed from JSON and a regular
// expression over its 200 field names, about 0.8 ms on the 2-core benchmark machine)
// and cheap to use, and each worker keeps a few of them.

/** Distinct keys the affinity section spreads its tasks over. */
export const KEY_COUNT = 32
/** Validators each worker keeps (least recently used dropped first): fewer than the keys, more than half of them. */
export const CACHE_SIZE = 20

/** The name of key `i`. */
export const keyName = (i: number): string => `tenant-${i}`

/** Builds key's validator: the expensive part a worker caches. */
export function compileValidator(key: string): RegExp {
  const fields = Array.from({ length: 200 }, (_, i) => `${key}_field_${i}_${(i * 2654435761) % 997}`)
  const schema = JSON.parse(JSON.stringify({ key, fields, types: fields.map((f, i) => ({ name: f, type: i % 3 === 0 ? 'string' : 'number' })) })) as { fields: string[] }
  const re = new RegExp(`^(?:${schema.fields.join('|')})$`)
  // V8 compiles a regular expression on its first use: use it on every field, as a real validator's warm-up would.
  let matched = 0
  for (const f of schema.fields) if (re.test(f)) matched++
  if (matched !== fields.length) throw new Error('validator does not match its own fields')
  return re
}

/** A worker's cache of validators: `check(key, value)` says whether the key's validator was cached (1) or built (0). */
export function validatorCache(size: number): (input: { key: string; value: string }) => number {
  const cache = new Map<string, RegExp>()
  return ({ key, value }) => {
    let re = cache.get(key)
    const hit = re !== undefined
    if (hit) cache.delete(key)
    else re = compileValidator(key)
    cache.set(key, re!)
    if (cache.size > size) cache.delete(cache.keys().next().value!)
    re!.test(value)
    return hit ? 1 : 0
  }
}
