import type { CollectedMetric, CollectedSample, MetricsCollector } from '@poolkit/core'
import { describe } from './internal/validate.js'

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const LABEL = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Checks that `value` is a core `MetricsCollector` (has `collect()`); `path`
 * names it in the message.
 * @internal
 */
export function checkCollector(path: string, value: unknown): MetricsCollector {
  if (typeof (value as { collect?: unknown } | null | undefined)?.collect !== 'function') {
    throw new TypeError(`${path} must be a MetricsCollector (an object with collect()), got ${describe(value)}`)
  }
  return value as MetricsCollector
}

/**
 * Reads every collector and merges families of the same name into one (two
 * resource pools each report `resource_size`, with their own `pool` label), in
 * the order first seen. A family that is malformed, or that reuses a name with
 * another type, fails the read with a TypeError naming it: an exporter writing
 * half a family would be read wrong by Prometheus.
 * @internal
 */
export function collectAll(collectors: Iterable<MetricsCollector>): CollectedMetric[] {
  const byName = new Map<string, { name: string; help: string; type: CollectedMetric['type']; samples: CollectedSample[] }>()
  for (const collector of collectors) {
    const families = collector.collect()
    if (!Array.isArray(families)) throw new TypeError(`a metrics collector's collect() must return an array, got ${describe(families)}`)
    for (const family of families as readonly CollectedMetric[]) {
      checkFamily(family)
      const seen = byName.get(family.name)
      if (seen === undefined) {
        byName.set(family.name, { name: family.name, help: family.help, type: family.type, samples: [...family.samples] })
      } else if (seen.type !== family.type) {
        throw new TypeError(`collected metric ${JSON.stringify(family.name)} is reported as both a ${seen.type} and a ${family.type}`)
      } else {
        seen.samples.push(...family.samples)
      }
    }
  }
  return [...byName.values()]
}

function checkFamily(family: CollectedMetric): void {
  const name: unknown = family?.name
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new TypeError(`a collected metric's name must be letters, digits and underscores, not starting with a digit, got ${describe(name)}`)
  }
  if (family.type !== 'counter' && family.type !== 'gauge') {
    throw new TypeError(`collected metric ${JSON.stringify(name)}: type must be 'counter' or 'gauge', got ${describe(family.type)}`)
  }
  if (typeof family.help !== 'string') throw new TypeError(`collected metric ${JSON.stringify(name)}: help must be a string, got ${describe(family.help)}`)
  if (!Array.isArray(family.samples)) throw new TypeError(`collected metric ${JSON.stringify(name)}: samples must be an array, got ${describe(family.samples)}`)
  for (const sample of family.samples as readonly CollectedSample[]) {
    if (typeof sample?.value !== 'number') {
      throw new TypeError(`collected metric ${JSON.stringify(name)}: a sample's value must be a number, got ${describe(sample?.value)}`)
    }
    for (const [label, value] of Object.entries(sample.labels ?? {})) {
      if (!LABEL.test(label) || label.startsWith('__')) throw new TypeError(`collected metric ${JSON.stringify(name)}: label name ${JSON.stringify(label)} is not valid`)
      if (typeof value !== 'string') throw new TypeError(`collected metric ${JSON.stringify(name)}: label ${label} must be a string, got ${describe(value)}`)
    }
  }
}
