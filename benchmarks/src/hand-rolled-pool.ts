import { Worker } from 'node:worker_threads'

/**
 * The smallest thread pool worth the name, about 20 lines: every task is posted
 * at once, round-robin over the workers, and replies are matched by id. No
 * queue, no back-pressure, no error handling, no crash recovery. It is the
 * floor that a full pool is measured against, as the minimal limiter is for
 * the in-process pool.
 */
export function createHandRolledPool(url: URL, size: number) {
  const workers = Array.from({ length: size }, () => new Worker(url))
  const waiting = new Map<number, (output: unknown) => void>()
  let nextId = 0
  for (const worker of workers) {
    worker.on('message', ([id, output]: [number, unknown]) => {
      const resolve = waiting.get(id)!
      waiting.delete(id)
      resolve(output)
    })
  }
  return {
    run(name: string, input: unknown, transfer?: readonly ArrayBuffer[]): Promise<unknown> {
      const id = nextId++
      return new Promise((resolve) => {
        waiting.set(id, resolve)
        workers[id % size]!.postMessage([id, name, input], transfer)
      })
    },
    close: () => Promise.all(workers.map((w) => w.terminate())),
  }
}
