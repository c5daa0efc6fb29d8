/**
 * Shared pieces of the node-adapter suites: both kinds of executor (always with
 * the test `execArgv`, so vitest's source condition never reaches a real
 * worker), pools closed after each test, and recorders for worker events.
 */
import { afterEach } from 'vitest'
import { createPool } from '@poolkit/core'
import type { Executor, Pool, PoolObserver, PoolOptions, WorkerExitReason } from '@poolkit/core'
import { processes, threads } from '../src/index.js'
import type { ProcessesOptions, ThreadsOptions } from '../src/index.js'
import { execArgv, fixture } from './helpers.js'

export type KindName = 'threads' | 'processes'

export interface Kind {
  readonly name: KindName
  /** An executor over `test/fixtures/<file>`. */
  executor(file: string | URL, options?: ThreadsOptions & ProcessesOptions): Executor<any, any>
}

const workerFile = (file: string | URL): URL => (file instanceof URL ? file : fixture(file))

export const threadKind: Kind = {
  name: 'threads',
  executor: (file, options) => threads(workerFile(file), { execArgv, ...options }),
}

export const processKind: Kind = {
  name: 'processes',
  executor: (file, options) => processes(workerFile(file), { execArgv, ...options }),
}

export const kinds: readonly Kind[] = [threadKind, processKind]

const open = new Set<Pool<any, any>>()

/** Creates a pool that is destroyed after the test, whatever happens in it. */
export function openPool<I = any, O = any>(options: PoolOptions<I, O>): Pool<I, O> {
  const pool = createPool<I, O>(options)
  open.add(pool)
  return pool
}

afterEach(async () => {
  const pools = [...open]
  open.clear()
  await Promise.all(pools.map((pool) => pool.destroy()))
})

/** Counts the executor's spawn calls. */
export function countSpawns<I, O>(executor: Executor<I, O>): { executor: Executor<I, O>; readonly spawns: number } {
  let spawns = 0
  const counted: Executor<I, O> = {
    ...executor,
    spawn: (context) => {
      spawns++
      return executor.spawn(context)
    },
  }
  return {
    executor: counted,
    get spawns() {
      return spawns
    },
  }
}

export interface WorkerEvents {
  readonly observer: PoolObserver
  readonly started: number[]
  readonly exited: { id: number; reason: WorkerExitReason; error: unknown }[]
}

/** An observer that records workers starting and leaving. */
export function recordWorkers(): WorkerEvents {
  const started: number[] = []
  const exited: WorkerEvents['exited'] = []
  return {
    started,
    exited,
    observer: {
      onWorkerStarted: (_pool, worker) => void started.push(worker.id),
      onWorkerExited: (_pool, worker, reason, error) => void exited.push({ id: worker.id, reason, error }),
    },
  }
}

/** Records the pool's 'error' events. */
export function recordErrors(pool: Pool<any, any>): unknown[] {
  const errors: unknown[] = []
  pool.on('error', (error) => void errors.push(error))
  return errors
}

/** Whether a process with this pid is still running. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** The rejection of `promise`, failing if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<any> {
  try {
    const value = await promise
    throw new Error(`expected a rejection, got ${JSON.stringify(value)}`)
  } catch (error) {
    return error
  }
}
