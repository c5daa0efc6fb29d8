import type { TaskInfo } from '@poolkit/core'

let nextId = 1

/** A queued task as the pool would push it (a fresh object, never started). */
export function task(priority = 1, key?: string, fields: Partial<Omit<TaskInfo, 'priority' | 'key'>> = {}): TaskInfo {
  const id = nextId++
  return {
    id,
    priority,
    key,
    name: undefined,
    attempt: 1,
    submittedAt: id,
    enqueuedAt: id,
    startedAt: -1,
    waitMs: 0,
    runMs: 0,
    ...fields,
  }
}

/** Shifts until empty. */
export function drain<T>(q: { shift(): T | undefined }): T[] {
  const out: T[] = []
  for (let t = q.shift(); t !== undefined; t = q.shift()) out.push(t)
  return out
}

export const ids = (tasks: readonly TaskInfo[]): number[] => tasks.map((t) => t.id)
