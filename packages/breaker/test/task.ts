import type { TaskInfo } from '@poolkit/core'

let nextId = 1

/**
 * A hand-made TaskInfo, as the pool would hand it to a policy, for calling the
 * policy directly: a fresh id each time, `startedAt` -1 (not started) unless given.
 */
export function task(key?: string, startedAt = -1, submittedAt = 0): TaskInfo {
  return { id: nextId++, priority: 1, key, name: undefined, attempt: 1, submittedAt, enqueuedAt: submittedAt, startedAt, waitMs: 0, runMs: 0 }
}
