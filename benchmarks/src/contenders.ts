import { createPool } from '@poolkit/core'
import pLimit from 'p-limit'
import PQueue from 'p-queue'
import { createMiniLimiter } from './mini-limiter.js'

/**
 * One library under test, opened at a concurrency. `batch(n)` submits `n` no-op
 * tasks at once and resolves when all of them have settled, the way a caller
 * would: keep each task's promise, then `Promise.all`.
 */
export interface Runner {
  batch(n: number, priorityOf?: (i: number) => number): Promise<unknown>
  close(): Promise<unknown> | void
}

export interface Contender {
  readonly name: string
  readonly priorities: boolean
  open(concurrency: number): Runner
}

// Every library runs the same kind of task: an async function that does nothing.
const noop = async (): Promise<void> => {}

export const poolkit: Contender = {
  name: 'poolkit',
  priorities: true,
  open(concurrency) {
    const pool = createPool<number, void>({ handler: noop, concurrency })
    return {
      batch(n, priorityOf) {
        const all = new Array<Promise<void>>(n)
        if (priorityOf === undefined) for (let i = 0; i < n; i++) all[i] = pool.run(i)
        else for (let i = 0; i < n; i++) all[i] = pool.run(i, { priority: priorityOf(i) })
        return Promise.all(all)
      },
      close: () => pool.close(),
    }
  },
}

export const pQueue: Contender = {
  name: 'p-queue',
  priorities: true,
  open(concurrency) {
    const queue = new PQueue({ concurrency })
    return {
      batch(n, priorityOf) {
        const all = new Array<Promise<void>>(n)
        if (priorityOf === undefined) for (let i = 0; i < n; i++) all[i] = queue.add(noop)
        else for (let i = 0; i < n; i++) all[i] = queue.add(noop, { priority: priorityOf(i) })
        return Promise.all(all)
      },
      close: () => queue.onIdle(),
    }
  },
}

export const pLimitContender: Contender = {
  name: 'p-limit',
  priorities: false,
  open(concurrency) {
    const limit = pLimit(concurrency)
    return {
      batch(n) {
        const all = new Array<Promise<void>>(n)
        for (let i = 0; i < n; i++) all[i] = limit(noop)
        return Promise.all(all)
      },
      close: () => {},
    }
  },
}

export const miniLimiter: Contender = {
  name: 'minimal limiter',
  priorities: false,
  open(concurrency) {
    const limit = createMiniLimiter(concurrency)
    return {
      batch(n) {
        const all = new Array<Promise<void>>(n)
        for (let i = 0; i < n; i++) all[i] = limit(noop)
        return Promise.all(all)
      },
      close: () => {},
    }
  },
}

export const ALL: readonly Contender[] = [poolkit, pQueue, pLimitContender, miniLimiter]
