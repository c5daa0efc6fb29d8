// A task that throws a value which fights back (a getter or proxy traps that
// throw) fails alone: its worker lives on and finishes the tasks it runs beside
// it. Serialising such a value used to throw in the worker, which exited and
// took every task on it down with WorkerExitError.
import { describe, expect, it } from 'vitest'
import { WorkerExitError, WorkerStartError } from '@poolkit/core'
import { kinds, openPool, processKind, recordErrors, recordWorkers, rejectionOf } from './support.js'

const trap = (): never => {
  throw new Error('trap')
}

const hostile: [string, string, RegExp][] = [
  ['an Error with a throwing enumerable getter', 'getter', /^boom: a getter throws$/],
  ['a proxied Error whose ownKeys trap throws', 'proxiedError', /^boom: proxied$/],
  ['an Error whose message getter throws', 'messageGetter', /^<the error message could not be read: Error: trap>$/],
  ['a proxy whose traps throw', 'proxy', /^<the error could not be serialised: Error: trap>$/],
  ['a revoked proxy', 'revoked', /^<the error could not be serialised: TypeError: .*revoked/],
]

describe.each(kinds)('hostile thrown values on $name', (kind) => {
  it.each(hostile)(
    'a task that throws %s fails alone, with a message describing it; the 3 tasks beside it on the same worker complete and the worker is not replaced',
    async (_label, name, message) => {
      const events = recordWorkers()
      const pool = openPool({ executor: kind.executor('hostile.worker.mjs', { concurrentTasksPerWorker: 4 }), concurrency: 1, observers: [events.observer] })
      await pool.ready()
      const errors = recordErrors(pool)
      const worker = await pool.run(null, { name: 'identity' })
      // Three slow tasks hold three of the worker's four slots while the bad ones throw.
      const beside = [1, 2, 3].map(() => pool.run(400, { name: 'hold' }))
      const later = rejectionOf(pool.run({ kind: name, ms: 20 }, { name: 'throwLater' }))
      const now = rejectionOf(pool.run(name, { name: 'throwNow' }))
      for (const error of [await later, await now]) {
        expect(error).toBeInstanceOf(Error)
        expect(error).not.toBeInstanceOf(WorkerExitError)
        expect(error.message).toMatch(message)
      }
      await expect(Promise.all(beside)).resolves.toEqual([worker, worker, worker])
      await expect(pool.run(null, { name: 'identity' })).resolves.toBe(worker)
      expect(events.exited).toEqual([])
      expect(events.started).toHaveLength(1)
      expect(errors).toEqual([])
      expect(pool.stats().counters).toMatchObject({ completed: 5, failed: 2 })
    },
  )

  it('a task whose input has a getter that throws a proxy fails alone with a TypeError; the worker goes on', async () => {
    const events = recordWorkers()
    const pool = openPool({ executor: kind.executor('hostile.worker.mjs', { concurrentTasksPerWorker: 4 }), concurrency: 1, observers: [events.observer] })
    const worker = await pool.run(null, { name: 'identity' })
    const throwing = new Proxy({}, { get: trap, getPrototypeOf: trap, ownKeys: trap })
    // Structured clone runs the getter: what it throws reaches the main side's error handling.
    const input = Object.defineProperty({}, 'field', {
      enumerable: true,
      get: () => {
        throw throwing
      },
    })
    const beside = [1, 2, 3].map(() => pool.run(100, { name: 'hold' }))
    const error = await rejectionOf(pool.run(input, { name: 'hold' }))
    expect(error).toBeInstanceOf(TypeError)
    expect(error.message).toMatch(/: its input could not be sent to the worker: a value that cannot be described$/)
    await expect(Promise.all(beside)).resolves.toEqual([worker, worker, worker])
    expect(events.exited).toEqual([])
  })

  it.each(hostile)('a setup() that throws %s fails the start with WorkerStartError whose cause describes it', async (_label, name, message) => {
    const pool = openPool({ executor: kind.executor('hostile.worker.mjs', { workerData: { throwAt: 'setup', kind: name } }), concurrency: 1, maxStartFailures: 1 })
    const error = await rejectionOf(pool.ready())
    expect(error).toBeInstanceOf(WorkerStartError)
    expect(error.cause).toBeInstanceOf(Error)
    expect(error.cause.message).toMatch(message)
  })
})

// The child-process preload reports an uncaught error as the start error; it
// reads what was thrown guardedly (a throw in its handler would end the child
// with no word why).
describe('hostile values thrown uncaught in a child process before it is ready', () => {
  it.each([
    ['an Error with a throwing enumerable getter', 'getter', /^boom: a getter throws$/],
    ['a proxied Error whose ownKeys trap throws', 'proxiedError', /^boom: proxied$/],
    ['an Error whose message getter throws', 'messageGetter', /^<the error message could not be read>$/],
  ])('the preload reports %s as the start error, with its message', async (_label, name, message) => {
    const pool = openPool({ executor: processKind.executor('hostile.worker.mjs', { workerData: { throwAt: 'timer', kind: name } }), concurrency: 1, maxStartFailures: 1 })
    const error = await rejectionOf(pool.ready())
    expect(error).toBeInstanceOf(WorkerStartError)
    expect(error.cause).toBeInstanceOf(Error)
    expect(error.cause.message).toMatch(message)
  })

  it.each([
    ['a proxy whose traps throw', 'proxy'],
    ['a revoked proxy', 'revoked'],
  ])('the preload reports %s, which it cannot read, as a start error that says so', async (_label, name) => {
    const pool = openPool({ executor: processKind.executor('hostile.worker.mjs', { workerData: { throwAt: 'timer', kind: name } }), concurrency: 1, maxStartFailures: 1 })
    const error = await rejectionOf(pool.ready())
    expect(error).toBeInstanceOf(WorkerStartError)
    expect(error.cause).toBe('<a thrown value that cannot be described>')
  })
})
