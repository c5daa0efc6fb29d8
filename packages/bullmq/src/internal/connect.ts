import type { Clock } from '@poolkit/core'
import type { ConnectionOptions } from 'bullmq'
import { BullmqConnectionError } from '../errors.js'

/** Something BullMQ made (worker, queue, queue events): it reports readiness and connection errors. */
interface Connecting {
  waitUntilReady(): Promise<unknown>
  on(event: 'error', listener: (error: Error) => void): unknown
  off(event: 'error', listener: (error: Error) => void): unknown
}

/** Where a connection points, for error messages: never a password. */
export function describeTarget(connection: ConnectionOptions): string {
  const c = connection as Record<string, unknown>
  const isClient = typeof c.duplicate === 'function' && typeof c.connect === 'function'
  const options = (isClient ? c.options : c) as Record<string, unknown> | undefined
  if (typeof options?.url === 'string') {
    try {
      const url = new URL(options.url)
      url.password = ''
      url.username = ''
      return url.toString()
    } catch {
      return 'the given URL'
    }
  }
  if (typeof options?.path === 'string') return options.path
  if (options !== undefined && (options.host !== undefined || options.port !== undefined || !isClient)) {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- describes whatever the caller passed, for an error message
    return `${String(options.host ?? '127.0.0.1')}:${String(options.port ?? 6379)}`
  }
  return 'the given client'
}

/**
 * Waits until every target is connected, or `timeoutMs` passed; then rejects
 * with `BullmqConnectionError` carrying the last error a client reported. One
 * timer for all of them, cleared however the wait ends, so a failed connect
 * leaves no timer behind. The caller closes the targets when this rejects.
 */
export function waitReady(targets: readonly Connecting[], info: { queueName: string; connection: ConnectionOptions; timeoutMs: number; clock: Clock }): Promise<void> {
  let lastError: unknown
  const onError = (error: Error): void => {
    lastError = error
  }
  for (const target of targets) target.on('error', onError)
  let timer: unknown
  return new Promise<void>((resolve, reject) => {
    const fail = (cause: unknown): void => {
      reject(new BullmqConnectionError({ queueName: info.queueName, target: describeTarget(info.connection), timeoutMs: info.timeoutMs, cause }))
    }
    timer = info.clock.setTimeout(() => fail(lastError), info.timeoutMs)
    Promise.all(targets.map((target) => target.waitUntilReady())).then(() => resolve(), fail)
  }).finally(() => {
    info.clock.clearTimeout(timer)
    for (const target of targets) target.off('error', onError)
  })
}

/** A BullMQ object with connections to close. */
interface Closable {
  close(): Promise<unknown>
  on(event: 'error', listener: (error: Error) => void): unknown
  getBackend(): { close(force?: boolean): Promise<unknown> }
}

/** The parts of BullMQ's backend and ioredis's client that `forgetClosedSockets` reaches. */
interface BackendInternals {
  connection?: { _client?: ClientInternals }
  blockingConnection?: { _client?: ClientInternals }
}
interface ClientInternals {
  connector?: { stream?: { destroyed?: boolean } }
}

/**
 * Before a forced close of a client that never connected: ioredis's
 * `disconnect()` ends the connector's last socket and sets a 2 s timer to
 * destroy it, cleared when the socket closes. A refused socket closed long
 * ago, so that timer kept the process alive 2 s after everything had closed.
 * A socket that is already destroyed has nothing to end: forget it. (ioredis
 * 5 and BullMQ 5-6 internals, reached defensively: where they differ, nothing
 * is done and the close costs those 2 s again.)
 */
export function forgetClosedSockets(target: { getBackend(): unknown }): void {
  let backend: BackendInternals | undefined
  try {
    backend = target.getBackend() as BackendInternals | undefined
  } catch {
    return
  }
  for (const connection of [backend?.connection, backend?.blockingConnection]) {
    const connector = connection?._client?.connector
    if (connector?.stream?.destroyed === true) connector.stream = undefined
  }
}

/**
 * Closes BullMQ objects that never connected. Their backends are closed with
 * `force`, which ends each client's reconnect loop. Their own `close()` is
 * called so their loops stop, but not awaited: `QueueEvents.close()` first
 * waits for the connection, which will never come (it holds no socket or
 * timer meanwhile). The connection error was reported already, so later ones
 * are not logged.
 */
export async function closeUnconnected(...targets: readonly Closable[]): Promise<void> {
  const ignore = (): void => {}
  for (const target of targets) {
    target.on('error', ignore)
    forgetClosedSockets(target)
  }
  await Promise.allSettled(targets.map((target) => target.getBackend().close(true)))
  for (const target of targets) target.close().catch(ignore)
}
