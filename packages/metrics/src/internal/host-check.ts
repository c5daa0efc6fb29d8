// The Host header check of serveMetrics, against DNS rebinding: a page whose
// name was made to resolve to this machine reaches the server with its own name
// in Host. IP addresses pass (a page cannot make a browser send an address
// other than its own origin's, so none can be rebound), as do localhost and
// *.localhost (browsers resolve those to loopback themselves), the bound name
// and the user's allowedHosts. Internal: not part of any entry point's API.
import { isIP } from 'node:net'

/**
 * The `Host` check of `serveMetrics`' `allowedHosts`: a predicate on a `Host`
 * header for a server bound to `bound`. A request with no
 * `Host` (HTTP/1.0) is let through by the caller: browsers always send one.
 */
export function hostCheck(bound: string, allowed: readonly string[] | true | 'all'): (header: string) => boolean {
  if (allowed === true || allowed === 'all') return () => true
  const exact = new Set<string>()
  const suffixes: string[] = []
  for (const entry of allowed) {
    // Checked by serveMetrics' validation: a name, with a port perhaps, which does not count.
    const name = allowedEntry(entry)!
    if (name.startsWith('.')) {
      exact.add(name.slice(1))
      suffixes.push(name)
    } else exact.add(name)
  }
  const boundName = isIP(bound) === 0 ? hostName(bound) : undefined
  if (boundName !== undefined) exact.add(boundName)
  return (header) => {
    const name = hostName(header)
    if (name === undefined) return false
    if (isIP(name) !== 0) return true
    if (name === 'localhost' || name.endsWith('.localhost')) return true
    return exact.has(name) || suffixes.some((suffix) => name.endsWith(suffix))
  }
}

/** The name in a `Host` header, lower case, without its port or a trailing dot; undefined when malformed. */
export function hostName(header: string): string | undefined {
  let name: string
  if (header.startsWith('[')) {
    const end = header.indexOf(']')
    if (end < 0) return undefined
    name = header.slice(1, end)
    const rest = header.slice(end + 1)
    if (rest !== '' && !/^:\d*$/.test(rest)) return undefined
    return isIP(name) === 6 ? name : undefined
  }
  const colon = header.lastIndexOf(':')
  name = colon < 0 ? header : header.slice(0, colon)
  if (colon >= 0 && !/^\d*$/.test(header.slice(colon + 1))) return undefined
  name = name.toLowerCase()
  if (name.endsWith('.')) name = name.slice(0, -1)
  return /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(name) ? name : undefined
}

/** An `allowedHosts` entry as `hostCheck` reads it: a name, or a dot and a name; undefined when malformed. */
export function allowedEntry(entry: string): string | undefined {
  if (!entry.startsWith('.')) return hostName(entry)
  const name = hostName(entry.slice(1))
  return name === undefined || isIP(name) !== 0 ? undefined : `.${name}`
}
