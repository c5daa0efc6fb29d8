import { runInNewContext } from 'node:vm'
import { describe, expect, it, vi } from 'vitest'
import { CircuitOpenError, isPoolError, PoolClosedError, PoolError, QueueFullError, TaskDroppedError, TaskTimeoutError, WorkerExitError, type TransferList } from '../src/index.js'
import {
  cooperative,
  decodeResults,
  decodeRuns,
  deserializeError,
  isResultFrame,
  isRunFrame,
  isSerializedError,
  isWorkerMessage,
  PROTOCOL_VERSION,
  RESULT_FRAME,
  RESULT_HEADER,
  RUN_FRAME,
  runWorker,
  serializeError,
  transfer,
  type MainMessage,
  type MainPost,
  type ResultMessage,
  type SerializedError,
  type TaskFunctions,
  type WorkerEndpoint,
  type WorkerMessage,
  type WorkerTaskContext,
} from '../src/worker.js'
import { gate, tick } from './support.js'

/** What a worker's error looks like on the main side: serialised, cloned as postMessage does, rebuilt. */
const roundTrip = (error: unknown): unknown => deserializeError(structuredClone(serializeError(error)))

// ---------------------------------------------------------------- serializeError / deserializeError

describe('serializeError and deserializeError', () => {
  it('round-trip an Error: class, name, message and stack', () => {
    const original = new Error('plain failure')
    const back = roundTrip(original) as Error
    expect(back).toBeInstanceOf(Error)
    expect(back.name).toBe('Error')
    expect(back.message).toBe('plain failure')
    expect(back.stack).toBe(original.stack)
  })

  it('rebuild built-in error classes as those classes', () => {
    const type = roundTrip(new TypeError('bad type'))
    const range = roundTrip(new RangeError('out of range'))
    const syntax = roundTrip(new SyntaxError('bad syntax'))
    expect(type).toBeInstanceOf(TypeError)
    expect((type as Error).message).toBe('bad type')
    expect(range).toBeInstanceOf(RangeError)
    expect((range as Error).name).toBe('RangeError')
    expect(syntax).toBeInstanceOf(SyntaxError)
  })

  it('keep the name of a custom subclass (rebuilt as an Error) and its own fields', () => {
    class HttpError extends Error {
      override name = 'HttpError'
      readonly status: number
      constructor(status: number) {
        super(`HTTP ${status}`)
        this.status = status
      }
    }
    const back = roundTrip(new HttpError(503)) as Error & { status?: number }
    expect(back).toBeInstanceOf(Error)
    expect(back.name).toBe('HttpError')
    expect(back.message).toBe('HTTP 503')
    expect(back.status).toBe(503)
    expect(String(back)).toBe('HttpError: HTTP 503')
  })

  it('keep a string or number code', () => {
    const withString = Object.assign(new Error('no file'), { code: 'ENOENT' })
    const withNumber = Object.assign(new Error('status'), { code: 404 })
    expect((roundTrip(withString) as { code?: unknown }).code).toBe('ENOENT')
    expect((roundTrip(withNumber) as { code?: unknown }).code).toBe(404)
    expect(serializeError(withString)).toMatchObject({ code: 'ENOENT' })
  })

  it('keep a nested cause chain, each link with its class, message and code', () => {
    const root = Object.assign(new TypeError('root cause'), { code: 'E_ROOT' })
    const middle = new RangeError('middle', { cause: root })
    const top = new Error('top', { cause: middle })
    const back = roundTrip(top) as Error
    const c1 = back.cause as Error
    const c2 = c1.cause as Error & { code?: unknown }
    expect(back.message).toBe('top')
    expect(c1).toBeInstanceOf(RangeError)
    expect(c1.message).toBe('middle')
    expect(c2).toBeInstanceOf(TypeError)
    expect(c2.message).toBe('root cause')
    expect(c2.code).toBe('E_ROOT')
    expect(c2.cause).toBeUndefined()
  })

  it('keep a cause that is not an error as the value itself', () => {
    const back = roundTrip(new Error('wrapped', { cause: { status: 500, body: 'down' } })) as Error
    expect(back.cause).toEqual({ status: 500, body: 'down' })
    const text = roundTrip(new Error('wrapped', { cause: 'just text' })) as Error
    expect(text.cause).toBe('just text')
  })

  it('stops at a cyclic cause chain instead of recursing forever', () => {
    const a = new Error('a')
    const b = new Error('b', { cause: a })
    ;(a as { cause?: unknown }).cause = b
    const back = roundTrip(a) as Error
    expect(back.message).toBe('a')
    expect((back.cause as Error).message).toBe('b')
    let depth = 0
    for (let e: unknown = back; e instanceof Error; e = e.cause) depth++
    expect(depth).toBeLessThan(20)
  })

  it('keep own enumerable fields that can be cloned: numbers, strings, arrays, nested objects, dates, bytes', () => {
    const at = new Date(0)
    const error = Object.assign(new Error('with fields'), {
      retryable: true,
      attempts: 3,
      tags: ['a', 'b'],
      details: { host: 'example.com', port: 443, nested: { deep: [1, 2] } },
      at,
      bytes: new Uint8Array([1, 2, 3]),
    })
    const back = roundTrip(error) as Record<string, unknown>
    expect(back.retryable).toBe(true)
    expect(back.attempts).toBe(3)
    expect(back.tags).toEqual(['a', 'b'])
    expect(back.details).toEqual({ host: 'example.com', port: 443, nested: { deep: [1, 2] } })
    expect(back.at).toEqual(at)
    expect(back.bytes).toEqual(new Uint8Array([1, 2, 3]))
  })

  it('drop fields that are functions or symbols, and functions nested in objects', () => {
    const error = Object.assign(new Error('with a function'), {
      retry: () => 1,
      sym: Symbol('s'),
      config: { url: '/x', onDone: () => {} },
      kept: 'yes',
    })
    const serialised = serializeError(error) as SerializedError
    expect(() => structuredClone(serialised)).not.toThrow()
    const back = roundTrip(error) as Record<string, unknown>
    expect('retry' in back).toBe(false)
    expect('sym' in back).toBe(false)
    expect(back.config).toEqual({ url: '/x' })
    expect(back.kept).toBe('yes')
  })

  it('cut cycles in fields: a field pointing back at the error or at its own object', () => {
    const loop: Record<string, unknown> = { name: 'loop' }
    loop.self = loop
    const error = Object.assign(new Error('cyclic'), { loop }) as unknown as Error & Record<string, unknown>
    error.me = error
    const serialised = serializeError(error)
    expect(() => structuredClone(serialised)).not.toThrow()
    expect(() => JSON.stringify(serialised)).not.toThrow()
    const back = roundTrip(error) as Record<string, unknown>
    expect(back.loop).toEqual({ name: 'loop' })
    expect('me' in back).toBe(false)
  })

  it('rebuild an error held in a field as an error', () => {
    const error = Object.assign(new Error('outer'), { inner: new RangeError('inner') })
    const back = roundTrip(error) as { inner?: unknown }
    expect(back.inner).toBeInstanceOf(RangeError)
    expect((back.inner as Error).message).toBe('inner')
  })

  it.each([
    ['a string', 'plain text'],
    ['a number', 42],
    ['zero', 0],
    ['a boolean', false],
    ['null', null],
    ['undefined', undefined],
    ['a plain object', { reason: 'nope', n: 1, list: [1, 2] }],
    ['an array', [1, 'two', { three: 3 }]],
  ])('round-trip a thrown value that is not an error: %s', (_label, value) => {
    const serialised = serializeError(value)
    expect(isSerializedError(serialised)).toBe(true)
    expect(roundTrip(value)).toEqual(value)
  })

  it('drop functions from a thrown plain object', () => {
    expect(roundTrip({ a: 1, f: () => 2 })).toEqual({ a: 1 })
  })

  it('keep the code, cause and fields of an error from another realm (where instanceof Error fails)', () => {
    const foreign = runInNewContext(`const e = new TypeError('from a vm'); e.code = 'E_VM'; e.detail = { n: 1 }; e.cause = new Error('inner'); e`) as Error & { code?: unknown; detail?: unknown }
    expect(foreign instanceof Error).toBe(false)
    const back = roundTrip(foreign) as Error & { code?: unknown; detail?: unknown }
    expect(back).toBeInstanceOf(TypeError)
    expect(back.message).toBe('from a vm')
    expect(back.code).toBe('E_VM')
    expect(back.detail).toEqual({ n: 1 })
    expect((back.cause as Error | undefined)?.message).toBe('inner')
  })

  it('produce data that survives structuredClone and JSON unchanged', () => {
    const error = Object.assign(new Error('top', { cause: new TypeError('below') }), { code: 'E_TOP', extra: { a: [1] } })
    const serialised = serializeError(error)
    expect(structuredClone(serialised)).toEqual(serialised)
    expect(JSON.parse(JSON.stringify(serialised))).toEqual(JSON.parse(JSON.stringify(structuredClone(serialised))))
    const back = deserializeError(JSON.parse(JSON.stringify(serialised)) as SerializedError) as Error & { code?: unknown }
    expect(back.message).toBe('top')
    expect(back.code).toBe('E_TOP')
    expect((back.cause as Error).message).toBe('below')
  })

  it('marks its output so isSerializedError recognises it, and nothing else', () => {
    expect(isSerializedError(serializeError(new Error('x')))).toBe(true)
    expect(isSerializedError(serializeError('x'))).toBe(true)
    expect(isSerializedError(new Error('x'))).toBe(false)
    expect(isSerializedError({ name: 'Error', message: 'x' })).toBe(false)
    expect(isSerializedError(null)).toBe(false)
    expect(isSerializedError('x')).toBe(false)
  })

  it('serializeError terminates on two errors that reference each other through fields', () => {
    const a = new Error('a') as Error & Record<string, unknown>
    const b = new Error('b') as Error & Record<string, unknown>
    a.peer = b
    b.peer = a
    expect(() => serializeError(a)).not.toThrow()
  })

  it('serializeError terminates on an error whose cause points back at it through a field', () => {
    const inner = new Error('inner') as Error & Record<string, unknown>
    const outer = new Error('outer', { cause: inner })
    inner.outer = outer
    expect(() => serializeError(outer)).not.toThrow()
  })

  it('deserializeError rebuilds errors held in an array field (round trip of `errors: [Error]`)', () => {
    const error = new Error('many') as Error & Record<string, unknown>
    error.errors = [new TypeError('first'), new Error('second')]
    const back = deserializeError(structuredClone(serializeError(error))) as Error & { errors: unknown[] }
    expect(back.errors[0]).toBeInstanceOf(TypeError)
    expect((back.errors[0] as Error).message).toBe('first')
    expect(back.errors[1]).toBeInstanceOf(Error)
  })
})

describe('PoolError subclasses across the protocol', () => {
  const cases: [string, PoolError][] = [
    ['QueueFullError', new QueueFullError(10, { key: 'tenant' })],
    ['TaskDroppedError', new TaskDroppedError()],
    ['TaskTimeoutError', new TaskTimeoutError(250)],
    ['PoolClosedError', new PoolClosedError()],
    ['CircuitOpenError', new CircuitOpenError('provider', 1234)],
    ['WorkerExitError', new WorkerExitError({ workerId: 7, exitCode: 1 })],
    ['PoolError', new PoolError('ERR_POOL_CUSTOM', 'custom')],
  ]

  it.each(cases)('%s keeps its name, code and message, and still passes isPoolError', (name, error) => {
    const back = roundTrip(error) as Error & { code?: unknown }
    expect(back).toBeInstanceOf(Error)
    expect(back.name).toBe(name)
    expect(back.code).toBe(error.code)
    expect(back.message).toBe(error.message)
    expect(isPoolError(back)).toBe(true)
  })

  it('keeps the extra fields of each subclass', () => {
    expect(roundTrip(new QueueFullError(10, { key: 'tenant' }))).toMatchObject({ limit: 10, key: 'tenant' })
    expect(roundTrip(new TaskTimeoutError(250))).toMatchObject({ timeoutMs: 250 })
    expect(roundTrip(new CircuitOpenError('provider', 1234))).toMatchObject({ key: 'provider', retryAt: 1234 })
    expect(roundTrip(new WorkerExitError({ workerId: 7, exitCode: 1 }))).toMatchObject({ workerId: 7, exitCode: 1 })
  })

  it('keeps the cause of a pool error', () => {
    const back = roundTrip(new WorkerExitError({ workerId: 1, cause: new Error('segfault') })) as Error
    expect((back.cause as Error).message).toBe('segfault')
  })
})

// ---------------------------------------------------------------- isWorkerMessage

describe('isWorkerMessage', () => {
  it.each([
    { type: 'ready', protocol: PROTOCOL_VERSION, functions: [], cooperative: [] },
    { type: 'init-error', error: { __poolkitValue: 1, value: 'x' } },
    { type: 'result', id: 1, ok: true, value: 1 },
    { type: 'pong', seq: 1, heapUsed: 1 },
    { type: 'abort-ack', id: 1, state: 'running' },
  ])('accepts a worker-to-main message of type $type', (message) => {
    expect(isWorkerMessage(message)).toBe(true)
  })

  it.each([
    ['a run message (main to worker)', { type: 'run', id: 1, name: undefined, input: 1, attempt: 1 }],
    ['an abort message', { type: 'abort', id: 1, reason: 'x' }],
    ['a close message', { type: 'close' }],
    ["a user's own message", { kind: 'progress', value: 0.5 }],
    ['an unknown type', { type: 'hello' }],
    ['null', null],
    ['a string', 'ready'],
    ['a number', 1],
    ['undefined', undefined],
  ])('refuses %s', (_label, value) => {
    expect(isWorkerMessage(value)).toBe(false)
  })
})

// ---------------------------------------------------------------- runWorker

interface Posted {
  readonly message: WorkerMessage
  readonly transfer: TransferList | undefined
}

/** An in-memory WorkerEndpoint: records what the worker posts; `send` plays the main side. */
function createEndpoint() {
  const posted: Posted[] = []
  let listener: ((post: MainPost) => void) | undefined
  let closed = 0
  const endpoint: WorkerEndpoint = {
    // Results of one tick arrive as one post (a result frame, or an array of
    // control messages): record them one by one.
    post(post, transferList) {
      const messages = isResultFrame(post) ? decodeResults(post) : Array.isArray(post) ? (post as readonly WorkerMessage[]) : [post as WorkerMessage]
      for (const message of messages) posted.push({ message, transfer: transferList })
    },
    listen(l) {
      listener = l
    },
    close() {
      closed++
    },
  }
  return {
    endpoint,
    posted,
    messages: () => posted.map((p) => p.message),
    results: () => posted.map((p) => p.message).filter((m): m is ResultMessage => m.type === 'result'),
    get listening() {
      return listener !== undefined
    },
    get closed() {
      return closed
    },
    send(message: MainPost) {
      if (listener === undefined) throw new Error('the worker is not listening')
      listener(message)
    },
    /** Sends one run as the main side does: in a run frame. */
    run(id: number, name: string | undefined, input: unknown, attempt = 1, key?: string) {
      this.send([RUN_FRAME, id, undefined, name, input, attempt, key])
    },
  }
}

describe('runWorker', () => {
  it('posts ready with the protocol version, the function names and the cooperative list', () => {
    const ep = createEndpoint()
    runWorker(
      {
        double: (x: number) => x * 2,
        slow: cooperative(async (_x: number, ctx: WorkerTaskContext) => ctx.signal.aborted),
        other: () => 0,
      },
      ep.endpoint,
    )
    expect(ep.messages()).toEqual([{ type: 'ready', protocol: PROTOCOL_VERSION, functions: ['double', 'slow', 'other'], cooperative: ['slow'] }])
    expect(ep.listening).toBe(true)
  })

  it('cooperative() returns the same function, still callable', () => {
    const fn = (x: number) => x + 1
    const marked = cooperative(fn)
    expect(marked).toBe(fn)
    expect(marked(1)).toBe(2)
  })

  it('runs the named function and posts an ok result with its value', async () => {
    const ep = createEndpoint()
    runWorker({ double: (x: number) => x * 2, greet: async (name: string) => `hi ${name}` }, ep.endpoint)
    ep.run(1, 'double', 21)
    ep.run(2, 'greet', 'ada')
    await tick()
    expect(ep.results()).toEqual([
      { type: 'result', id: 1, ok: true, value: 42 },
      { type: 'result', id: 2, ok: true, value: 'hi ada' },
    ])
  })

  it('passes the id, attempt and key to the function context', async () => {
    const ep = createEndpoint()
    const seen: Omit<WorkerTaskContext, 'signal'>[] = []
    runWorker({ f: (_x: unknown, ctx: WorkerTaskContext) => void seen.push({ id: ctx.id, attempt: ctx.attempt, key: ctx.key }) }, ep.endpoint)
    ep.run(5, 'f', null, 3, 'tenant')
    await tick()
    expect(seen).toEqual([{ id: 5, attempt: 3, key: 'tenant' }])
  })

  it('runs `default` when the task names no function', async () => {
    const ep = createEndpoint()
    runWorker({ default: (x: number) => x + 1, other: () => -1 }, ep.endpoint)
    ep.run(1, undefined, 1)
    await tick()
    expect(ep.results()).toEqual([{ type: 'result', id: 1, ok: true, value: 2 }])
  })

  it('runs the only function when the task names none', async () => {
    const ep = createEndpoint()
    runWorker({ only: (x: number) => x * 3 }, ep.endpoint)
    ep.run(1, undefined, 3)
    await tick()
    expect(ep.results()).toEqual([{ type: 'result', id: 1, ok: true, value: 9 }])
  })

  it('posts an error result when the function throws or rejects, with the error serialised', async () => {
    const ep = createEndpoint()
    runWorker(
      {
        throws: () => {
          throw Object.assign(new RangeError('sync failure'), { code: 'E_SYNC' })
        },
        rejects: async () => {
          throw new Error('async failure', { cause: 'why' })
        },
        throwsText: () => {
          throw 'text'
        },
      },
      ep.endpoint,
    )
    ep.run(1, 'throws', null)
    ep.run(2, 'rejects', null)
    ep.run(3, 'throwsText', null)
    await tick()
    const results = ep.results().sort((a, b) => a.id - b.id)
    expect(results.map((r) => [r.id, r.ok])).toEqual([
      [1, false],
      [2, false],
      [3, false],
    ])
    const errors = results.map((r) => (r.ok ? undefined : deserializeError(r.error)))
    expect(errors[0]).toBeInstanceOf(RangeError)
    expect(errors[0]).toMatchObject({ message: 'sync failure', code: 'E_SYNC' })
    expect(errors[1]).toMatchObject({ message: 'async failure', cause: 'why' })
    expect(errors[2]).toBe('text')
    // What is posted survives postMessage.
    for (const r of results) expect(() => structuredClone(r)).not.toThrow()
  })

  it('posts a clear TypeError naming an unknown function and the ones it has', async () => {
    const ep = createEndpoint()
    runWorker({ resize: () => 1, crop: () => 2 }, ep.endpoint)
    ep.run(1, 'rotate', null)
    await tick()
    const [result] = ep.results()
    expect(result?.ok).toBe(false)
    const error = deserializeError((result as Extract<ResultMessage, { ok: false }>).error) as Error
    expect(error).toBeInstanceOf(TypeError)
    expect(error.message).toContain('"rotate"')
    expect(error.message).toContain('resize')
    expect(error.message).toContain('crop')
  })

  it('posts a TypeError asking for a name when several functions and no default are exposed', async () => {
    const ep = createEndpoint()
    runWorker({ a: () => 1, b: () => 2 }, ep.endpoint)
    ep.run(1, undefined, null)
    await tick()
    const [result] = ep.results()
    const error = deserializeError((result as Extract<ResultMessage, { ok: false }>).error) as Error
    expect(error).toBeInstanceOf(TypeError)
    expect(error.message).toMatch(/name one/)
  })

  it('does not call inherited properties as functions (toString, constructor)', async () => {
    const ep = createEndpoint()
    runWorker({ f: () => 1 }, ep.endpoint)
    ep.run(1, 'toString', null)
    ep.run(2, 'constructor', null)
    await tick()
    expect(ep.results().map((r) => r.ok)).toEqual([false, false])
  })

  it("aborts the task's signal with the deserialised reason on an 'abort' message", async () => {
    const ep = createEndpoint()
    let seenReason: unknown
    runWorker(
      {
        wait: cooperative(
          (_x: unknown, ctx: WorkerTaskContext) =>
            new Promise((_resolve, reject) => {
              ctx.signal.addEventListener('abort', () => {
                seenReason = ctx.signal.reason
                reject(ctx.signal.reason)
              })
            }),
        ),
      },
      ep.endpoint,
    )
    ep.run(1, 'wait', null)
    ep.run(2, 'wait', null)
    ep.send({ type: 'abort', id: 1, reason: serializeError(new TaskTimeoutError(100)) })
    await tick()
    expect(seenReason).toBeInstanceOf(Error)
    expect(seenReason).toMatchObject({ name: 'TaskTimeoutError', code: 'ERR_POOL_TASK_TIMEOUT', timeoutMs: 100 })
    const results = ep.results()
    expect(results).toHaveLength(1) // task 2 is untouched
    expect(results[0]).toMatchObject({ id: 1, ok: false })
    const error = deserializeError((results[0] as Extract<ResultMessage, { ok: false }>).error)
    expect(isPoolError(error)).toBe(true)
  })

  it('ignores an abort for a task it does not run', async () => {
    const ep = createEndpoint()
    runWorker({ f: (x: number) => x }, ep.endpoint)
    expect(() => ep.send({ type: 'abort', id: 99, reason: serializeError(new Error('x')) })).not.toThrow()
    ep.run(1, 'f', 5)
    await tick()
    expect(ep.results()).toEqual([{ type: 'result', id: 1, ok: true, value: 5 }])
  })

  it('runs setup() before it reports ready, and listens only from then', async () => {
    const ep = createEndpoint()
    const order: string[] = []
    let finishSetup: () => void = () => {}
    runWorker({ f: () => 1 }, ep.endpoint, {
      setup: () =>
        new Promise<void>((resolve) => {
          order.push('setup')
          finishSetup = resolve
        }),
    })
    await tick()
    expect(order).toEqual(['setup'])
    expect(ep.messages()).toEqual([])
    expect(ep.listening).toBe(false)
    finishSetup()
    await tick()
    expect(ep.messages().map((m) => m.type)).toEqual(['ready'])
    expect(ep.listening).toBe(true)
  })

  it('puts the capabilities setup() returns in its ready message, and none when it returns nothing', async () => {
    const ep = createEndpoint()
    runWorker({ f: () => 1 }, ep.endpoint, { setup: async () => ({ capabilities: ['gpu', 'avx512'] }) })
    await tick()
    expect(ep.messages()).toEqual([{ type: 'ready', protocol: PROTOCOL_VERSION, functions: ['f'], cooperative: [], capabilities: ['gpu', 'avx512'] }])
    const plain = createEndpoint()
    runWorker({ f: () => 1 }, plain.endpoint, { setup: () => undefined })
    await tick()
    expect(plain.messages()).toEqual([{ type: 'ready', protocol: PROTOCOL_VERSION, functions: ['f'], cooperative: [] }])
  })

  it('fails the start, naming the value, when setup() returns capabilities that are not an array of non-empty strings', async () => {
    const ep = createEndpoint()
    runWorker({ f: () => 1 }, ep.endpoint, { setup: () => ({ capabilities: 'gpu' as never }) })
    await tick()
    const [message] = ep.messages()
    expect(message?.type).toBe('init-error')
    expect(JSON.stringify(message)).toContain('setup() returned capabilities \\"gpu\\"; they must be an array of non-empty strings')
    expect(ep.closed).toBe(1)
  })

  it('posts init-error, not ready, when setup() throws, and closes the endpoint', async () => {
    const ep = createEndpoint()
    runWorker({ f: () => 1 }, ep.endpoint, {
      setup: () => {
        throw Object.assign(new Error('no database'), { code: 'E_DB' })
      },
    })
    await tick()
    const messages = ep.messages()
    expect(messages.map((m) => m.type)).toEqual(['init-error'])
    const error = deserializeError((messages[0] as Extract<WorkerMessage, { type: 'init-error' }>).error)
    expect(error).toMatchObject({ message: 'no database', code: 'E_DB' })
    expect(ep.closed).toBe(1)
    expect(ep.listening).toBe(false)
  })

  it('posts init-error when an async setup() rejects', async () => {
    const ep = createEndpoint()
    runWorker({ f: () => 1 }, ep.endpoint, { setup: () => Promise.reject(new TypeError('bad config')) })
    await tick()
    const [message] = ep.messages()
    expect(message?.type).toBe('init-error')
    expect(deserializeError((message as Extract<WorkerMessage, { type: 'init-error' }>).error)).toBeInstanceOf(TypeError)
  })

  it('posts a transfer() result with its value and the transfer list', async () => {
    const ep = createEndpoint()
    const buffer = new ArrayBuffer(8)
    runWorker({ bytes: () => transfer({ buffer, size: 8 }, [buffer]) }, ep.endpoint)
    ep.run(1, 'bytes', null)
    await tick()
    const posted = ep.posted.find((p) => p.message.type === 'result')!
    expect(posted.message).toEqual({ type: 'result', id: 1, ok: true, value: { buffer, size: 8 } })
    expect(posted.transfer).toEqual([buffer])
    expect(posted.transfer?.[0]).toBe(buffer)
  })

  it('posts a transfer() from an async function with the transfer list too', async () => {
    const ep = createEndpoint()
    const buffer = new ArrayBuffer(4)
    runWorker({ bytes: async () => transfer(buffer, [buffer]) }, ep.endpoint)
    ep.run(1, 'bytes', null)
    await tick()
    const posted = ep.posted.find((p) => p.message.type === 'result')!
    expect((posted.message as Extract<ResultMessage, { ok: true }>).value).toBe(buffer)
    expect(posted.transfer).toEqual([buffer])
  })

  it('posts plain results without a transfer list', async () => {
    const ep = createEndpoint()
    runWorker({ f: () => ({ a: 1 }) }, ep.endpoint)
    ep.run(1, 'f', null)
    await tick()
    expect(ep.posted.find((p) => p.message.type === 'result')!.transfer).toBeUndefined()
  })

  it("on a 'close' message lets running tasks finish, runs teardown, then closes the endpoint", async () => {
    const ep = createEndpoint()
    const finish: (() => void)[] = []
    let tornDown = 0
    runWorker({ wait: () => new Promise<string>((resolve) => finish.push(() => resolve('done'))) }, ep.endpoint, { teardown: () => void tornDown++ })
    ep.send({ type: 'configure', concurrency: 2, reportHeap: false })
    ep.run(1, 'wait', null)
    ep.run(2, 'wait', null)
    ep.send({ type: 'close' })
    await tick()
    expect(ep.closed).toBe(0)
    finish.forEach((f) => f())
    await tick()
    expect(ep.results().map((r) => r.ok && r.value)).toEqual(['done', 'done'])
    expect(tornDown).toBe(1)
    expect(ep.closed).toBe(1)
  })

  it("answers an abort with 'done' for a finished task, 'running' for a non-cooperative running one, and 'dropped' for one still in the inbox", async () => {
    const ep = createEndpoint()
    let started = 0
    runWorker({ wait: () => (started++, new Promise(() => {})), quick: (x: number) => x }, ep.endpoint)
    ep.run(1, 'quick', 5)
    ep.run(2, 'wait', null)
    ep.run(3, 'quick', 6)
    ep.send({ type: 'abort', id: 1, reason: serializeError(new Error('stop')) })
    ep.send({ type: 'abort', id: 2, reason: serializeError(new Error('stop')) })
    ep.send({ type: 'abort', id: 3, reason: serializeError(new Error('stop')) })
    await tick()
    expect(ep.messages().filter((m) => m.type === 'abort-ack')).toEqual([
      { type: 'abort-ack', id: 1, state: 'done' },
      { type: 'abort-ack', id: 2, state: 'running' },
      { type: 'abort-ack', id: 3, state: 'dropped' },
    ])
    expect(started).toBe(1)
    expect(ep.results().map((r) => r.id)).toEqual([1])
  })

  it('runs at most the configured number of async tasks at once and starts the next from its inbox in order', async () => {
    const ep = createEndpoint()
    const finish: (() => void)[] = []
    const order: number[] = []
    runWorker({ f: (x: number) => (order.push(x), new Promise<number>((resolve) => finish.push(() => resolve(x)))) }, ep.endpoint)
    ep.send({ type: 'configure', concurrency: 2, reportHeap: false })
    for (let i = 1; i <= 5; i++) ep.run(i, 'f', i)
    expect(order).toEqual([1, 2])
    finish[1]!()
    await tick()
    expect(order).toEqual([1, 2, 3])
    finish[0]!()
    await tick()
    expect(order).toEqual([1, 2, 3, 4])
  })

  it('answers a ping with a pong carrying the endpoint measurements', async () => {
    const ep = createEndpoint()
    ep.endpoint.measure = () => ({ heapUsed: 123, eventLoopUtilization: 0.25 })
    runWorker({ f: (x: number) => x }, ep.endpoint)
    ep.send({ type: 'ping', seq: 7 })
    await tick()
    expect(ep.messages()).toContainEqual({ type: 'pong', seq: 7, heapUsed: 123, eventLoopUtilization: 0.25 })
  })

  it('posts the results that are ready in one tick together, and attaches the heap when asked', async () => {
    const ep = createEndpoint()
    const posts: unknown[] = []
    const post = ep.endpoint.post.bind(ep.endpoint)
    ep.endpoint.post = (p, t) => {
      posts.push(p)
      post(p, t)
    }
    ep.endpoint.measure = () => ({ heapUsed: 42 })
    runWorker({ f: (x: number) => x * 2 }, ep.endpoint)
    posts.length = 0
    ep.send({ type: 'configure', concurrency: 1, reportHeap: true })
    ep.send([RUN_FRAME, 1, 10, undefined, 1, 1, undefined, 2, 10, undefined, 2, 2, 'k'])
    await tick()
    expect(posts).toHaveLength(1)
    // One flat frame: the tag, the heap after the last result, the time the
    // tasks took, when it was posted (on the clock all threads share), then
    // id, ok, value per result.
    const frame = posts[0] as unknown[]
    expect(frame.slice(0, 2)).toEqual([RESULT_FRAME, 42])
    expect(frame[2]).toBeGreaterThanOrEqual(0)
    expect(frame[3]).toBeGreaterThanOrEqual(performance.timeOrigin)
    expect(frame[3]).toBeLessThanOrEqual(performance.timeOrigin + performance.now())
    expect(frame.slice(RESULT_HEADER)).toEqual([1, true, 2, 2, true, 4])
    expect(decodeResults(posts[0] as unknown[])).toEqual([
      { type: 'result', id: 1, ok: true, value: 2 },
      { type: 'result', id: 2, ok: true, value: 4, heapUsed: 42 },
    ])
  })

  it('puts in each result frame the time its tasks took in the worker, start to end, sync and async', async () => {
    let now = 1000
    const spy = vi.spyOn(performance, 'now').mockImplementation(() => now)
    try {
      const ep = createEndpoint()
      const posts: unknown[] = []
      const post = ep.endpoint.post.bind(ep.endpoint)
      ep.endpoint.post = (p, t) => {
        posts.push(p)
        post(p, t)
      }
      let finishLater: (() => void) | undefined
      runWorker(
        {
          work: (ms: number) => {
            now += ms
            return ms
          },
          later: () => new Promise<string>((resolve) => (finishLater = () => resolve('late'))),
        },
        ep.endpoint,
      )
      posts.length = 0
      ep.send({ type: 'configure', concurrency: 2, reportHeap: false })
      ep.send([RUN_FRAME, 1, 1, 'work', 3, 1, undefined, 2, 2, 'work', 4, 1, undefined, 3, 3, 'later', null, 1, undefined])
      await tick()
      expect(posts).toHaveLength(1)
      // 3 ms and 4 ms of synchronous work; the async task is still running.
      expect((posts[0] as unknown[]).slice(0, 3)).toEqual([RESULT_FRAME, undefined, 7])
      now += 10
      finishLater!()
      await tick()
      expect(posts).toHaveLength(2)
      // It started after the two synchronous ones, at 1007, and ended at 1017.
      expect(posts[1]).toEqual([RESULT_FRAME, undefined, 10, performance.timeOrigin + 1017, 3, true, 'late'])
    } finally {
      spy.mockRestore()
    }
  })

  it('still runs a run sent as a single message object, and control messages sent as an array', async () => {
    const ep = createEndpoint()
    runWorker({ f: (x: number) => x * 2 }, ep.endpoint)
    ep.send([{ type: 'configure', concurrency: 1, reportHeap: false }])
    ep.send({ type: 'run', id: 1, name: undefined, input: 4, attempt: 1 })
    await tick()
    expect(ep.results()).toEqual([{ type: 'result', id: 1, ok: true, value: 8 }])
  })

  it('decodeRuns reads a run frame back as run messages', () => {
    expect(decodeRuns([RUN_FRAME, 1, 7, 'f', 'in', 2, 'k', 2, 8, undefined, null, 1, undefined])).toEqual([
      { type: 'run', id: 1, task: 7, name: 'f', input: 'in', attempt: 2, key: 'k' },
      { type: 'run', id: 2, task: 8, name: undefined, input: null, attempt: 1, key: undefined },
    ])
    expect(isRunFrame([RUN_FRAME])).toBe(true)
    expect(isRunFrame([{ type: 'close' }])).toBe(false)
    expect(isResultFrame([RESULT_FRAME, undefined, 0, undefined])).toBe(true)
    expect(isResultFrame({ type: 'pong', seq: 1 })).toBe(false)
  })

  it('fails only the task whose result cannot be cloned, naming it, when a frame cannot be posted', async () => {
    const ep = createEndpoint()
    const post = ep.endpoint.post.bind(ep.endpoint)
    ep.endpoint.post = (p, t) => {
      // Play structured clone: a function cannot be cloned.
      if (isResultFrame(p) && p.some((v) => typeof v === 'function')) throw new DOMException('function could not be cloned', 'DataCloneError')
      post(p, t)
    }
    runWorker({ f: (x: number) => (x === 2 ? () => 0 : x) }, ep.endpoint)
    ep.send([RUN_FRAME, 1, 11, 'f', 1, 1, undefined, 2, 12, 'f', 2, 1, undefined, 3, 13, 'f', 3, 1, undefined])
    await tick()
    const results = ep.results()
    expect(results.map((r) => [r.id, r.ok])).toEqual([
      [1, true],
      [2, false],
      [3, true],
    ])
    const failed = results[1] as Extract<ResultMessage, { ok: false }>
    expect((deserializeError(failed.error) as Error).message).toMatch(/The result of task 12 \(f\) could not be sent back from the worker/)
  })

  it('refuses an empty set of functions or a non-function entry with a TypeError', () => {
    const ep = createEndpoint()
    expect(() => runWorker({}, ep.endpoint)).toThrow(TypeError)
    expect(() => runWorker({ f: 'nope' } as unknown as TaskFunctions, ep.endpoint)).toThrow(/functions\.f must be a function/)
    expect(ep.posted).toEqual([])
  })

  it('still aborts a later attempt after an earlier attempt of the same task id settled', async () => {
    const posted: unknown[] = []
    let listener: (m: MainMessage) => void = () => {}
    const endpoint: WorkerEndpoint = {
      post: (m) => void posted.push(m),
      listen: (l) => void (listener = l),
      close: () => {},
    }
    const finishFirst = gate<string>()
    const signals: AbortSignal[] = []
    runWorker(
      {
        work: cooperative((_input: unknown, ctx: WorkerTaskContext) => {
          signals.push(ctx.signal)
          if (ctx.attempt === 1) return finishFirst.promise
          return new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)))
        }),
      },
      endpoint,
    )
    // A worker that runs two tasks at once (tasksPerWorker 2). Attempt 1 timed out on the
    // main side but still runs (cooperative, slow to stop); attempt 2 lands on the same worker.
    listener({ type: 'configure', concurrency: 2, reportHeap: false })
    // Each run has its own id on the connection; both carry task 7 for the context.
    listener({ type: 'run', id: 1, task: 7, name: 'work', input: null, attempt: 1 })
    listener({ type: 'run', id: 2, task: 7, name: 'work', input: null, attempt: 2 })
    finishFirst.resolve('late')
    await Promise.resolve()
    await Promise.resolve()
    listener({ type: 'abort', id: 2, reason: serializeError(new Error('cancel attempt 2')) })
    expect(signals).toHaveLength(2)
    expect(signals[1]!.aborted).toBe(true)
  })
})
