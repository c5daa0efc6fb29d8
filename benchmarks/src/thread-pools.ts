import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { createPool } from '@poolkit/core'
import { threads } from '@poolkit/node-adapter'
import { Piscina } from 'piscina'
import { FixedThreadPool } from 'poolifier'
import type { WorkerChoiceStrategy } from 'poolifier'
import Tinypool from 'tinypool'
import workerpool from 'workerpool'
import { createHandRolledPool } from './hand-rolled-pool.js'

const workerFile = (name: string): URL => new URL(`./workers/${name}.worker.js`, import.meta.url)

/**
 * One thread pool under test, opened with a number of workers. Every library
 * runs the same functions (`workers/work.ts`) from its own worker file; the
 * ones a library lacks, or that no section measures for it, are absent.
 */
export interface ThreadRunner {
  /** The no-op task: resolves to its input. */
  echo(i: number): PromiseLike<unknown>
  /** The CPU-bound task (16 sha256 digests of 64 KiB). */
  hash?(i: number): PromiseLike<unknown>
  /** Moves `buffer` to a worker and resolves to the buffer the worker hands back (moved too, where the library can). */
  move?(buffer: ArrayBuffer): PromiseLike<ArrayBuffer>
  /** Resolves once every worker reported ready, where the library can tell. */
  ready?(): Promise<void>
  close(): Promise<unknown>
}

export interface ThreadLibrary {
  readonly name: string
  open(workers: number): ThreadRunner
}

/** Closes that did not settle within 2 s, by library (the pool's threads were then terminated directly). */
export const closeHangs = new Map<string, number>()

/** poolkit on `threads()`; `prefetch` left out uses the adapter's default. */
export function poolkitThreads(prefetch?: number, options: { copy?: boolean } = {}): ThreadLibrary {
  const name = prefetch === undefined ? 'poolkit' : `poolkit prefetch=${prefetch}`
  return {
    name: options.copy === true ? `${name} (copy)` : name,
    open(workers) {
      const executor = threads<unknown, unknown>(workerFile('poolkit'), prefetch === undefined ? {} : { prefetch })
      const pool = createPool<unknown, unknown>({ executor, concurrency: workers })
      return {
        echo: (i) => pool.run(i),
        hash: (i) => pool.run(i, { name: 'hash' }),
        move:
          options.copy === true ? (buffer) => pool.run(buffer, { name: 'move' }) as Promise<ArrayBuffer> : (buffer) => pool.run(buffer, { name: 'move', transfer: [buffer] }) as Promise<ArrayBuffer>,
        ready: () => pool.ready(),
        close: () => pool.close(),
      }
    },
  }
}

export const poolkit = poolkitThreads()

export const piscina: ThreadLibrary = {
  name: 'piscina',
  open(workers) {
    const pool = new Piscina({ filename: workerFile('piscina').href, minThreads: workers, maxThreads: workers })
    return {
      echo: (i) => pool.run(i),
      hash: (i) => pool.run(i, { name: 'hash' }),
      // Piscina.move marks the buffer for transfer both ways (the worker moves it back the same way).
      move: (buffer) => pool.run(Piscina.move(buffer), { name: 'move' }) as Promise<ArrayBuffer>,
      close: () => pool.destroy(),
    }
  },
}

export const tinypool: ThreadLibrary = {
  name: 'tinypool',
  open(workers) {
    const pool = new Tinypool({ filename: workerFile('tinypool').href, minThreads: workers, maxThreads: workers })
    return { echo: (i) => pool.run(i), close: () => pool.destroy() }
  },
}

/** poolifier's fixed thread pool; `strategy` picks its worker choice strategy (poolifier's default, `LEAST_USED`, when left out). */
export function poolifierWith(strategy?: WorkerChoiceStrategy): ThreadLibrary {
  return {
    name: strategy === undefined ? 'poolifier' : `poolifier ${strategy}`,
    open(workers) {
      const pool = new FixedThreadPool<unknown, unknown>(workers, fileURLToPath(workerFile('poolifier')), strategy === undefined ? {} : { workerChoiceStrategy: strategy })
      return {
        echo: (i) => pool.execute(i),
        hash: (i) => pool.execute(i, 'hash'),
        // Moved in; the result cannot be moved back, so it is copied.
        move: (buffer) => pool.execute(buffer, 'move', undefined, [buffer]) as Promise<ArrayBuffer>,
        close: async () => {
          let timer: ReturnType<typeof setTimeout> | undefined
          const destroyed = pool.destroy().then(() => true)
          const late = new Promise<false>((resolve) => (timer = setTimeout(resolve, 2_000, false)))
          const settled = await Promise.race([destroyed, late])
          clearTimeout(timer)
          if (settled) return
          // poolifier's destroy() sometimes never settles (issue 3 saw it hang in 5 of 18 runs): count it and end its threads directly.
          closeHangs.set('poolifier', (closeHangs.get('poolifier') ?? 0) + 1)
          const nodes = (pool as unknown as { workerNodes: readonly { worker: Worker }[] }).workerNodes
          await Promise.all(nodes.map((node) => node.worker.terminate()))
        },
      }
    },
  }
}

export const poolifier: ThreadLibrary = poolifierWith()

export const workerpoolLibrary: ThreadLibrary = {
  name: 'workerpool',
  open(workers) {
    const pool = workerpool.pool(fileURLToPath(workerFile('workerpool')), { minWorkers: workers, maxWorkers: workers, workerType: 'thread' })
    // workerpool's promises are its own thenables; close() wraps its terminate() in a native one.
    return { echo: (i) => pool.exec('echo', [i]), close: async () => void (await pool.terminate()) }
  },
}

export const handRolled: ThreadLibrary = {
  name: 'hand-rolled pool',
  open(workers) {
    const pool = createHandRolledPool(workerFile('hand-rolled'), workers)
    return {
      echo: (i) => pool.run('echo', i),
      hash: (i) => pool.run('hash', i),
      move: (buffer) => pool.run('move', buffer, [buffer]) as Promise<ArrayBuffer>,
      close: () => pool.close(),
    }
  },
}

/** Every library of the suites that take them all, poolkit first. */
export const THREAD_LIBRARIES: readonly ThreadLibrary[] = [poolkit, piscina, tinypool, poolifier, workerpoolLibrary, handRolled]

/** A library by name, for the child processes (prefetch variants as `poolkit prefetch=N`). */
export function threadLibrary(name: string): ThreadLibrary {
  const prefetch = /^poolkit prefetch=(\d+)$/.exec(name)
  if (prefetch !== null) return poolkitThreads(Number(prefetch[1]))
  const found = THREAD_LIBRARIES.find((l) => l.name === name)
  if (found === undefined) throw new Error(`unknown thread library ${JSON.stringify(name)}`)
  return found
}

/** The bare echo worker's line name. */
export const BARE = 'bare echo'

/**
 * The floor under every pool: one bare worker that echoes each message
 * (`workers/echo.worker.ts`). `pipelined(n)` posts n messages at once and
 * resolves when all n came back; `roundTrip()` posts one and waits for it.
 */
export function bareEcho(): { pipelined(n: number): Promise<{ postMs: number; totalMs: number }>; roundTrip(): Promise<void>; close(): Promise<unknown> } {
  const worker = new Worker(workerFile('echo'))
  let onReply: () => void = () => {}
  worker.on('message', () => onReply())
  return {
    pipelined(n) {
      return new Promise((resolve) => {
        let left = n
        let postMs = 0
        const t0 = performance.now()
        onReply = () => {
          if (--left === 0) resolve({ postMs, totalMs: performance.now() - t0 })
        }
        for (let i = 0; i < n; i++) worker.postMessage(i)
        postMs = performance.now() - t0
      })
    },
    roundTrip() {
      return new Promise<void>((resolve) => {
        onReply = resolve
        worker.postMessage(0)
      })
    },
    close: () => worker.terminate(),
  }
}
