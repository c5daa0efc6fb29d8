// Bad input on threads and child processes: inputs and results that cannot be
// cloned, a 256 MiB input, worker files that do not exist or do not parse, and
// a worker that breaks the message protocol. Each fails what it must, clearly,
// and the pool goes on.
import { describe, expect, it } from 'vitest'
import { createVirtualClock, ErrorCode, WorkerExitError, WorkerStartError } from '@poolkit/core'
import type { TaskResult } from '@poolkit/core'
import { countSpawns, kinds, openPool, recordErrors, recordWorkers, rejectionOf, threadKind } from './support.js'
import type { Kind } from './support.js'

/** Submits a task and resolves to its id and result (the id is what error messages name). */
function submitted(pool: ReturnType<typeof openPool>, input: unknown, name: string): { id: number; result: Promise<TaskResult<unknown>> } {
  let id = -1
  const result = new Promise<TaskResult<unknown>>((resolve) => {
    id = pool.submit(input, resolve, { name })
  })
  return { id, result }
}

class Connection {
  host = 'db.internal'
  // A field structured clone cannot copy.
  onClose = (): void => {}
}

// ---------------------------------------------------------------- inputs and results that cannot be cloned

describe.each(kinds)('values that cannot be cloned, on $name', (kind) => {
  const unclonableInputs: [string, () => unknown][] = [
    ['a function', () => () => 1],
    ['a symbol', () => Symbol('input')],
    ['a class instance with a function field', () => new Connection()],
    ['an object holding a WeakMap', () => ({ cache: new WeakMap() })],
    ['a promise', () => Promise.resolve(1)],
  ]

  it.each(unclonableInputs)('fails only the task whose input is %s, with an error naming the task; the tasks sent with it and the worker go on', async (_label, make) => {
    const events = recordWorkers()
    // Every task in one frame (prefetchMs: Infinity sends them all at once), so the bad one must be picked out of it.
    const pool = openPool({ executor: kind.executor('bad-input.worker.mjs', { prefetchMs: Infinity }), concurrency: 1, observers: [events.observer] })
    await pool.ready()
    const errors = recordErrors(pool)
    const before = pool.run('before', { name: 'echo' })
    const bad = submitted(pool, make(), 'echo')
    const after = pool.run('after', { name: 'echo' })
    const result = await bad.result
    expect(result.ok).toBe(false)
    const error = (result as { error: Error }).error
    expect(error).toBeInstanceOf(TypeError)
    expect(error).not.toBeInstanceOf(WorkerExitError)
    expect(error.message).toContain(`Task ${bad.id} (echo): its input could not be sent to the worker`)
    expect(error.cause).toBeInstanceOf(Error)
    await expect(Promise.all([before, after])).resolves.toEqual(['before', 'after'])
    expect(events.exited).toEqual([])
    expect(errors).toEqual([])
    expect(pool.stats().counters).toMatchObject({ completed: 2, failed: 1 })
  })

  it('copies what structured clone can and drops what it ignores: symbol keys, a class prototype', async () => {
    const pool = openPool({ executor: kind.executor('bad-input.worker.mjs'), concurrency: 1 })
    const input = { visible: 1, [Symbol('hidden')]: 2 }
    await expect(pool.run(input, { name: 'inspect' })).resolves.toEqual({ kind: '[object Object]', keys: ['visible'] })
    class Point {
      x = 1
      get length(): number {
        return this.x
      }
    }
    await expect(pool.run(new Point(), { name: 'inspect' })).resolves.toEqual({ kind: '[object Object]', keys: ['x'] })
  })

  const unclonableResults: [string, string][] = [
    ['a symbol', 'returnSymbol'],
    ['a function (from an async task)', 'returnFunction'],
    ['a class instance with a function field', 'returnConnection'],
    ['an object holding a WeakMap', 'returnWeakMap'],
  ]

  it.each(unclonableResults)('fails a task that returns %s with an error naming the task, and the same worker serves the next task', async (_label, name) => {
    const events = recordWorkers()
    const pool = openPool({ executor: kind.executor('bad-input.worker.mjs'), concurrency: 1, observers: [events.observer] })
    await pool.ready()
    const errors = recordErrors(pool)
    const worker = await pool.run(null, { name: 'identity' })
    const bad = submitted(pool, null, name)
    const result = await bad.result
    expect(result.ok).toBe(false)
    const error = (result as { error: Error }).error
    expect(error).toBeInstanceOf(TypeError)
    expect(error).not.toBeInstanceOf(WorkerExitError)
    expect(error.message).toContain(`The result of task ${bad.id} (${name}) could not be sent back from the worker`)
    await expect(pool.run(null, { name: 'identity' })).resolves.toBe(worker)
    expect(events.exited).toEqual([])
    expect(errors).toEqual([])
  })
})

// ---------------------------------------------------------------- a 256 MiB input

const MiB = 1024 * 1024
const SIZE = 256 * MiB

/** 256 MiB of zeros with marker bytes at the start, the middle and the end. */
function bigInput(): Uint8Array {
  const bytes = new Uint8Array(SIZE)
  bytes[0] = 1
  bytes[SIZE >> 1] = 2
  bytes[SIZE - 1] = 3
  return bytes
}

const probeOf = (kindName: string) => ({ kind: kindName, byteLength: SIZE, first: 1, middle: 2, last: 3 })

describe('a 256 MiB input on threads', () => {
  it('moves an ArrayBuffer given in transfer (the main side copy is detached) and copies a Uint8Array given without; the pool goes on', async () => {
    const events = recordWorkers()
    const pool = openPool({ executor: threadKind.executor('bad-input.worker.mjs'), concurrency: 1, observers: [events.observer] })
    const moved = bigInput().buffer
    await expect(pool.run(moved, { name: 'probe', transfer: [moved] })).resolves.toEqual(probeOf('[object ArrayBuffer]'))
    expect(moved.byteLength).toBe(0)
    const copied = bigInput()
    await expect(pool.run(copied, { name: 'probe' })).resolves.toEqual(probeOf('[object Uint8Array]'))
    expect(copied.byteLength).toBe(SIZE)
    await expect(pool.run('next', { name: 'echo' })).resolves.toBe('next')
    expect(events.exited).toEqual([])
  })

  it('round-trips it, moved both ways: the worker flips the first byte and sends the same bytes back', async () => {
    const pool = openPool({ executor: threadKind.executor('bad-input.worker.mjs'), concurrency: 1 })
    const data = bigInput()
    const back = (await pool.run({ data, move: true }, { name: 'roundTrip', transfer: [data.buffer] })) as Uint8Array
    expect(data.byteLength).toBe(0)
    expect(back).toBeInstanceOf(Uint8Array)
    expect([back.byteLength, back[0], back[SIZE >> 1], back[SIZE - 1]]).toEqual([SIZE, 0xfe, 2, 3])
  })
})

describe('a 256 MiB input on processes', () => {
  it('copies it there and back (a transfer list is copied too): the markers arrive, the main side keeps its copy, the pool goes on', async () => {
    const events = recordWorkers()
    const pool = openPool({ executor: kinds[1]!.executor('bad-input.worker.mjs'), concurrency: 1, observers: [events.observer] })
    const data = bigInput()
    const back = (await pool.run({ data, move: false }, { name: 'roundTrip', transfer: [data.buffer] })) as Uint8Array
    expect(data.byteLength).toBe(SIZE)
    expect(data[0]).toBe(1)
    expect([back.byteLength, back[0], back[SIZE >> 1], back[SIZE - 1]]).toEqual([SIZE, 0xfe, 2, 3])
    await expect(pool.run('next', { name: 'echo' })).resolves.toBe('next')
    expect(events.exited).toEqual([])
  })
})

// ---------------------------------------------------------------- worker files that cannot start

/**
 * A pool over a worker file that never starts, on a virtual clock moved past
 * each backoff as soon as a failed start is reported: it gives up after
 * `maxStartFailures` (default 5) starts, with no retry left pending.
 */
async function failingPool(kind: Kind, file: string, startTimeout?: number) {
  const clock = createVirtualClock()
  const counted = countSpawns(kind.executor(file, startTimeout === undefined ? {} : { startTimeout }))
  const pool = openPool({ executor: counted.executor, concurrency: 1, clock })
  // Each failed start is reported on 'error' before its retry is scheduled: move past the retry's backoff.
  pool.on('error', () => void clock.advance(5000))
  // The workers' start timeouts run on the pool's clock too: move it past the first
  // one (each later start's falls due within the move that started it).
  if (startTimeout !== undefined) void clock.advance(startTimeout)
  // Asked before any worker could start: it waits, then gets the pool's verdict.
  const firstRun = rejectionOf(pool.run('first'))
  const readyError = await rejectionOf(pool.ready())
  return { pool, clock, counted, readyError, firstRunError: await firstRun }
}

describe.each(kinds)('worker files that cannot start, on $name', (kind) => {
  it.each([
    ['does not exist', 'no-such-file.worker.mjs', Error, /Cannot find module .*no-such-file\.worker\.mjs/],
    ['has a syntax error', 'syntax-error.worker.mjs', SyntaxError, /missing \) after argument list/],
    ['calls process.exit(0) in its setup', 'exit-in-setup.worker.mjs', Error, /^Worker \d+ exited with code 0 before it reported ready/],
    ['calls process.exit(0) at top level', 'exit-at-top.worker.mjs', Error, /^Worker \d+ exited with code 0 before it reported ready/],
    ['never calls expose()', 'no-expose.worker.mjs', Error, /^Worker \d+ exited with code 0 before it reported ready/],
    ['has a setup that never settles (startTimeout 200 ms)', 'setup-hangs.worker.mjs', Error, /^Worker \d+ did not report ready within 200 ms \(startTimeout\)/],
  ])('a worker file that %s: ready() and the first run() reject with one WorkerStartError carrying its own error, after 5 spawns and no more', async (_label, file, causeClass, reason) => {
    const { pool, clock, counted, readyError, firstRunError } = await failingPool(kind, file, file === 'setup-hangs.worker.mjs' ? 200 : undefined)
    expect(readyError).toBeInstanceOf(WorkerStartError)
    expect(readyError.code).toBe(ErrorCode.WorkerStart)
    expect(readyError.code).toBe('ERR_POOL_WORKER_START')
    expect(readyError.attempts).toBe(5)
    // The worker's own error, rebuilt as its class (a child's crosses the process boundary serialized).
    expect(readyError.cause).toBeInstanceOf(causeClass)
    expect(readyError.cause.message).toMatch(reason)
    // The message says what happened and why, in one line a log can show.
    expect(readyError.message).toContain('failed to start 5 times in a row')
    expect(readyError.message).toContain(readyError.cause.message.split('\n')[0])
    expect(firstRunError).toBe(readyError)
    expect(counted.spawns).toBe(5)
    // No retry is scheduled: nothing left on the clock, no worker starting.
    expect(clock.pending).toBe(0)
    expect(pool.stats().workers).toEqual({ total: 0, busy: 0, idle: 0, starting: 0 })
    // New tasks are refused at once with the same error, and start nothing.
    const later = await Promise.all([1, 2, 3].map((i) => rejectionOf(pool.run(i))))
    expect(later.every((error) => error === readyError)).toBe(true)
    await expect(pool.ready()).rejects.toBe(readyError)
    expect(counted.spawns).toBe(5)
  })
})

// ---------------------------------------------------------------- a worker that breaks the protocol

describe.each(kinds)('a worker that sends malformed messages, on $name', (kind) => {
  it.each([
    ['a result whose id is not a run id', 'badId'],
    ['a result frame cut short', 'shortFrame'],
    ['a failed result without a serialized error', 'rawError'],
    ['a result message without ok', 'noOk'],
    ['a list of messages holding non-messages', 'badList'],
    ['an abort-ack in an unknown state', 'badAck'],
  ])('fails the task it holds when it sends %s, replaces the worker and serves the next task', async (_label, garbage) => {
    const events = recordWorkers()
    const pool = openPool({ executor: kind.executor('malformed.worker.mjs'), concurrency: 1, observers: [events.observer] })
    await pool.ready()
    const errors = recordErrors(pool)
    await expect(pool.run({ echo: 'before' })).resolves.toBe('before')
    const error = await rejectionOf(pool.run({ garbage }))
    expect(error).toBeInstanceOf(WorkerExitError)
    expect(error.code).toBe(ErrorCode.WorkerExit)
    expect(error.message).toMatch(/^Worker \d+ sent a malformed message \(.+\); it was stopped$/)
    expect(error.cause).toBeInstanceOf(Error)
    expect(error.cause.message).toBe(error.message)
    // A new worker serves the next task.
    await expect(pool.run({ echo: 'after' })).resolves.toBe('after')
    expect(events.exited).toHaveLength(1)
    expect(events.exited[0]).toMatchObject({ reason: 'crashed' })
    expect(events.started).toHaveLength(2)
    // Reported once on the pool's error event, as a crash is.
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(WorkerExitError)
    expect(pool.stats().workers.total).toBe(1)
  })

  it("ignores posts that are not the protocol's at all (a string, an object without a protocol type): the task completes on the same worker", async () => {
    const events = recordWorkers()
    const pool = openPool({ executor: kind.executor('malformed.worker.mjs'), concurrency: 1, observers: [events.observer] })
    await expect(pool.run({ stray: 'hello' })).resolves.toBe('hello')
    await expect(pool.run({ stray: { type: 'progress', done: 1 } })).resolves.toEqual({ type: 'progress', done: 1 })
    expect(events.exited).toEqual([])
  })

  it('fails the start of a worker whose ready message is malformed, and gives up with WorkerStartError carrying why', async () => {
    const counted = countSpawns(kind.executor('malformed.worker.mjs', { workerData: { ready: 'malformed' } }))
    const pool = openPool({ executor: counted.executor, concurrency: 1, maxStartFailures: 2 })
    const error = await rejectionOf(pool.ready())
    expect(error).toBeInstanceOf(WorkerStartError)
    expect(error.cause.message).toMatch(/sent a malformed message \(a ready message whose cooperative list is 5\)/)
    expect(counted.spawns).toBe(2)
  })
})
