// Thrown values that fight back: getters and proxy traps that throw, revoked
// proxies, values String() cannot convert. serializeError never throws on them
// (a throw there used to end the worker, and every task on it), and runWorker
// fails only the task that threw them. The round trip of ordinary errors is in
// protocol.test.ts.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeResults,
  deserializeError,
  isResultFrame,
  isSerializedError,
  RUN_FRAME,
  runWorker,
  serializeError,
  type MainPost,
  type ResultMessage,
  type SerializedError,
  type SerializedValue,
  type WorkerEndpoint,
  type WorkerMessage,
} from '../src/worker.js'
import { tick } from './support.js'

const roundTrip = (error: unknown): unknown => deserializeError(structuredClone(serializeError(error)))

const trap = (): never => {
  throw new Error('trap')
}

/** An Error with an enumerable getter that throws, next to fields that read fine. */
function errorWithThrowingGetter(): Error {
  const error = Object.assign(new Error('boom'), { code: 'E_BOOM', kept: 1 })
  Object.defineProperty(error, 'details', { enumerable: true, get: trap })
  return error
}

/** A proxy of a plain object whose every trap throws. */
const proxyOfObject = (): object => new Proxy({}, { get: trap, getPrototypeOf: trap, ownKeys: trap, has: trap, getOwnPropertyDescriptor: trap })

function revoked(): object {
  const { proxy, revoke } = Proxy.revocable(new Error('gone'), {})
  revoke()
  return proxy
}

/** Defines a throwing getter for `key` on `target`. */
const throwingGetter = <T extends object>(target: T, key: string, thrown: () => unknown = () => new Error(`${key} getter`)): T =>
  Object.defineProperty(target, key, {
    enumerable: true,
    configurable: true,
    get: () => {
      throw thrown()
    },
  })

describe('serializeError on hostile thrown values', () => {
  it('leaves out an enumerable field whose getter throws and keeps the message, code and other fields', () => {
    const back = roundTrip(errorWithThrowingGetter()) as Error & Record<string, unknown>
    expect(back).toBeInstanceOf(Error)
    expect(back.message).toBe('boom')
    expect(back.code).toBe('E_BOOM')
    expect(back.kept).toBe(1)
    expect('details' in back).toBe(false)
  })

  it.each(['name', 'message', 'stack', 'code', 'cause'])('falls back when the %s getter throws and keeps the other fields', (key) => {
    const error = Object.assign(new RangeError('kept message'), { code: 'E_KEPT', extra: 'yes' })
    if (key !== 'code') Object.assign(error, { cause: new Error('kept cause') })
    throwingGetter(error, key)
    const data = serializeError(error) as SerializedError
    expect(data.__poolkitError).toBe(1)
    expect(data.name).toBe(key === 'name' ? 'Error' : 'RangeError')
    expect(data.message).toBe(key === 'message' ? '<the error message could not be read: Error: message getter>' : 'kept message')
    // V8 builds the stack from name and message on first read: it may be lost with them.
    if (key === 'stack') expect(data.stack).toBeUndefined()
    else if (key !== 'name' && key !== 'message') expect(typeof data.stack).toBe('string')
    expect(data.code).toBe(key === 'code' ? undefined : 'E_KEPT')
    expect((data.cause as SerializedError | undefined)?.message).toBe(key === 'cause' || key === 'code' ? undefined : 'kept cause')
    expect(data.props).toEqual({ extra: 'yes' })
    expect(() => structuredClone(data)).not.toThrow()
  })

  it('keeps name, message and stack of a proxied Error whose ownKeys trap throws, without its fields', () => {
    const error = new Proxy(Object.assign(new Error('x'), { field: 1 }), { ownKeys: trap })
    const data = serializeError(error) as SerializedError
    expect(data).toMatchObject({ __poolkitError: 1, name: 'Error', message: 'x' })
    expect(typeof data.stack).toBe('string')
    expect(data.props).toBeUndefined()
  })

  it('reads a proxied Error whose getPrototypeOf trap throws as an error, by its fields', () => {
    const data = serializeError(new Proxy(new TypeError('typed'), { getPrototypeOf: trap })) as SerializedError
    expect(data).toMatchObject({ __poolkitError: 1, name: 'TypeError', message: 'typed' })
  })

  it.each([
    ['a proxy of a plain object whose traps throw', proxyOfObject, /^<the error could not be serialised: Error: trap>$/],
    ['a revoked proxy', revoked, /^<the error could not be serialised: TypeError: .*revoked/],
  ])('turns %s into an Error whose message says it could not be serialised', (_label, make, message) => {
    const data = serializeError(make())
    expect(data).toEqual({ __poolkitError: 1, name: 'Error', message: expect.stringMatching(message) })
    const back = roundTrip(make()) as Error
    expect(back).toBeInstanceOf(Error)
    expect(back.message).toMatch(message)
  })

  it('describes a trap error that is itself hostile without reading it', () => {
    const data = serializeError(
      new Proxy(
        {},
        {
          getPrototypeOf: () => {
            throw proxyOfObject()
          },
          get: () => {
            throw proxyOfObject()
          },
        },
      ),
    ) as SerializedError
    expect(data.__poolkitError).toBe(1)
    expect(data.message).toMatch(/^<the error could not be serialised: .+>$/)
  })

  it('turns a message that String() cannot convert into its tag, and a Symbol message into its text', () => {
    const noProto = Object.assign(new Error('x'), { message: Object.create(null) as unknown })
    expect((serializeError(noProto) as SerializedError).message).toBe('[object Object]')
    const badToString = Object.assign(new Error('x'), { message: { toString: trap } as unknown })
    expect((serializeError(badToString) as SerializedError).message).toBe('[object Object]')
    const symbol = Object.assign(new Error('x'), { message: Symbol('why') as unknown })
    expect((serializeError(symbol) as SerializedError).message).toBe('Symbol(why)')
  })

  it('keeps a thrown class instance whose toString throws as its tag, and a null-prototype object as a plain one', () => {
    class Weird {
      toString(): string {
        throw new Error('no text')
      }
    }
    expect(roundTrip(new Weird())).toBe('[object Object]')
    const bare = Object.assign(Object.create(null) as object, { a: 1 })
    expect(roundTrip(bare)).toEqual({ a: 1 })
  })

  it('leaves out hostile values nested in fields at any depth, and keeps their readable siblings', () => {
    const deep = { level1: { level2: { proxy: proxyOfObject(), gone: revoked(), ok: 'kept' } } }
    throwingGetter(deep.level1, 'bad')
    const error = Object.assign(new Error('nested'), { deep, list: [1, proxyOfObject(), 3] })
    const data = serializeError(error) as SerializedError
    expect(data.props).toEqual({ deep: { level1: { level2: { ok: 'kept' } } }, list: [1, undefined, 3] })
    expect(() => structuredClone(data)).not.toThrow()
    expect((roundTrip(error) as Error).message).toBe('nested')
  })

  it('keeps a thrown plain object with a throwing getter, without that field', () => {
    expect(roundTrip(throwingGetter({ a: 1, b: 'two' }, 'c'))).toEqual({ a: 1, b: 'two' })
  })

  it('keeps a hostile cause out and the error itself', () => {
    const back = roundTrip(new Error('top', { cause: proxyOfObject() })) as Error
    expect(back.message).toBe('top')
    expect((back.cause as Error).message).toBe('<the error could not be serialised: Error: trap>')
  })

  it('does not let a proxy pass for a Date or an ArrayBuffer (structured clone would refuse it)', () => {
    const error = Object.assign(new Error('x'), { at: new Proxy(new Date(0), {}), buffer: new Proxy(new ArrayBuffer(4), {}), real: new Date(5) })
    const data = serializeError(error) as SerializedError
    expect(() => structuredClone(data)).not.toThrow()
    expect(data.props?.real).toEqual(new Date(5))
  })

  it('keeps a `__proto__` field as a field, on both sides', () => {
    const error = new Error('x')
    Object.defineProperty(error, '__proto__', { value: { polluted: true }, enumerable: true })
    const back = roundTrip(error) as Error
    expect(back).toBeInstanceOf(Error)
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toEqual({ polluted: true })
  })

  it.each(['__proto__', 'toString', 'constructor', 'hasOwnProperty'])('rebuilds an error named %s as an Error keeping that name', (name) => {
    const error = new Error('odd name')
    Object.defineProperty(error, 'name', { value: name })
    const back = roundTrip(error) as Error
    expect(back).toBeInstanceOf(Error)
    expect(back.name).toBe(name)
    expect(back.message).toBe('odd name')
  })

  it('cuts values nested past 64 levels and a sparse array costs what it holds', () => {
    let nested: unknown = 'bottom'
    for (let i = 0; i < 10_000; i++) nested = { nested }
    const data = serializeError(Object.assign(new Error('deep'), { nested })) as SerializedError
    expect(() => structuredClone(data)).not.toThrow()
    const sparse: unknown[] = []
    sparse.length = 2 ** 32 - 1
    sparse[5] = 'five'
    const value = (serializeError(sparse) as SerializedValue).value as unknown[]
    expect(value.length).toBe(2 ** 32 - 1)
    expect(value[5]).toBe('five')
  })

  it('never throws, for any value: its output is serialised data that survives structuredClone and deserializeError', () => {
    fc.assert(
      fc.property(hostileSpec(), (spec) => {
        const data = serializeError(build(spec))
        expect(isSerializedError(data)).toBe(true)
        expect(() => deserializeError(structuredClone(data))).not.toThrow()
      }),
      { numRuns: 500 },
    )
  })
})

// ---------------------------------------------------------------- a generator of hostile values

type ProxyTrap = 'get' | 'getPrototypeOf' | 'ownKeys' | 'has' | 'getOwnPropertyDescriptor'
const TRAPS: readonly ProxyTrap[] = ['get', 'getPrototypeOf', 'ownKeys', 'has', 'getOwnPropertyDescriptor']

/**
 * How to build a hostile value. The generator makes these plain recipes, not
 * the values: fast-check itself would trip over a revoked proxy it had to
 * print or shrink.
 */
type Spec =
  | { readonly kind: 'plain'; readonly value: unknown }
  | { readonly kind: 'error'; readonly message: Spec; readonly name: Spec; readonly code: Spec; readonly cause: Spec; readonly fields: readonly (readonly [string, Spec])[] }
  | { readonly kind: 'object'; readonly fields: readonly (readonly [string, Spec])[] }
  | { readonly kind: 'getter'; readonly target: Spec; readonly key: string; readonly thrown: Spec }
  | { readonly kind: 'proxy'; readonly target: Spec; readonly traps: readonly ProxyTrap[]; readonly thrown: Spec }
  | { readonly kind: 'revoked' }
  | { readonly kind: 'badToString'; readonly thrown: Spec }
  | { readonly kind: 'symbol'; readonly description: string }

function build(spec: Spec): unknown {
  switch (spec.kind) {
    case 'plain':
      return spec.value
    case 'error': {
      const error = new Error('placeholder') as Error & Record<string, unknown>
      // Defining `stack` may make V8 format it, reading the message just set: a hostile one throws here already.
      const define = (key: string, value: unknown, enumerable: boolean): void => {
        try {
          Object.defineProperty(error, key, { value, enumerable, configurable: true, writable: true })
        } catch {
          // Left as it was.
        }
      }
      for (const [k, v] of spec.fields) define(k, build(v), true)
      define('message', build(spec.message), false)
      define('name', build(spec.name), false)
      define('code', build(spec.code), true)
      define('cause', build(spec.cause), false)
      return error
    }
    case 'object': {
      const object: Record<string, unknown> = {}
      for (const [k, v] of spec.fields) Object.defineProperty(object, k, { value: build(v), enumerable: true, configurable: true, writable: true })
      return object
    }
    case 'getter': {
      const target = build(spec.target)
      const thrown = build(spec.thrown)
      if (typeof target !== 'object' || target === null) return target
      try {
        throwingGetter(target, spec.key, () => thrown)
      } catch {
        // A proxy target, or a property that cannot be redefined: left as it is.
      }
      return target
    }
    case 'proxy': {
      const target = build(spec.target)
      const thrown = build(spec.thrown)
      const handler: ProxyHandler<object> = {}
      for (const name of spec.traps) {
        handler[name] = () => {
          throw thrown
        }
      }
      return new Proxy(typeof target === 'object' && target !== null ? target : {}, handler)
    }
    case 'revoked':
      return revoked()
    case 'badToString': {
      const thrown = build(spec.thrown)
      const fail = (): never => {
        throw thrown
      }
      return { toString: fail, valueOf: fail, [Symbol.toPrimitive]: fail }
    }
    case 'symbol':
      return Symbol(spec.description)
  }
}

/**
 * Recipes for values of every kind fast-check makes (with bigints, dates, typed
 * arrays, maps, null-prototype and sparse objects) and, built on them at any
 * depth: errors with such messages, names, codes, causes and fields; objects
 * and errors with getters that throw such values; proxies whose chosen traps
 * throw them; revoked proxies; objects whose toString throws.
 */
function hostileSpec(): fc.Arbitrary<Spec> {
  const plain = fc
    .anything({
      maxDepth: 2,
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withSparseArray: true,
      withNullPrototype: true,
      withBoxedValues: true,
      withObjectString: true,
    })
    .map((value): Spec => ({ kind: 'plain', value }))
  const key = fc.oneof(fc.constantFrom('message', 'name', 'stack', 'code', 'cause', 'constructor', 'then', '__proto__'), fc.string({ maxLength: 6 }))
  const { spec } = fc.letrec<{ spec: Spec; container: Spec }>((tie) => ({
    spec: fc.oneof(
      { maxDepth: 4, depthIdentifier: 'hostile' },
      plain,
      tie('container'),
      fc.record({ kind: fc.constant('getter' as const), target: tie('container'), key, thrown: tie('spec') }),
      fc.record({ kind: fc.constant('proxy' as const), target: tie('container'), traps: fc.subarray([...TRAPS]), thrown: tie('spec') }),
      fc.constant({ kind: 'revoked' as const }),
      fc.record({ kind: fc.constant('badToString' as const), thrown: tie('spec') }),
      fc.record({ kind: fc.constant('symbol' as const), description: fc.string({ maxLength: 6 }) }),
    ),
    container: fc.oneof(
      { depthIdentifier: 'hostile' },
      fc.record({
        kind: fc.constant('error' as const),
        message: fc.oneof(
          fc.string().map((value): Spec => ({ kind: 'plain', value })),
          tie('spec'),
        ),
        name: fc.oneof(
          fc.constantFrom('Error', 'TypeError', 'CustomError').map((value): Spec => ({ kind: 'plain', value })),
          tie('spec'),
        ),
        code: tie('spec'),
        cause: tie('spec'),
        fields: fc.array(fc.tuple(key, tie('spec')), { maxLength: 3 }),
      }),
      fc.record({ kind: fc.constant('object' as const), fields: fc.array(fc.tuple(key, tie('spec')), { maxLength: 3 }) }),
    ),
  }))
  return spec
}

// ---------------------------------------------------------------- runWorker keeps going

/** An in-memory WorkerEndpoint that records results and can refuse a post, as structured clone does. */
function createEndpoint(refuse: (post: unknown) => boolean = () => false) {
  const results: ResultMessage[] = []
  const messages: WorkerMessage[] = []
  let listener: ((post: MainPost) => void) | undefined
  let closed = 0
  const endpoint: WorkerEndpoint = {
    post(post) {
      if (refuse(post)) throw new DOMException('could not be cloned', 'DataCloneError')
      // Plays postMessage: what is posted must survive structured clone.
      const copy = structuredClone(post) as unknown
      if (isResultFrame(copy)) results.push(...decodeResults(copy))
      else messages.push(...(Array.isArray(copy) ? (copy as WorkerMessage[]) : [copy as WorkerMessage]))
    },
    listen: (l) => void (listener = l),
    close: () => void closed++,
  }
  return {
    endpoint,
    results,
    messages,
    get closed() {
      return closed
    },
    send: (post: MainPost) => listener!(post),
  }
}

const errorOf = (result: ResultMessage | undefined): Error => {
  if (result === undefined || result.ok) throw new Error(`expected a failed result, got ${JSON.stringify(result)}`)
  return deserializeError(result.error) as Error
}

describe('runWorker with hostile thrown values', () => {
  const hostile: [string, () => unknown, RegExp][] = [
    ['an Error with a throwing enumerable getter', errorWithThrowingGetter, /^boom$/],
    ['a proxied Error whose ownKeys trap throws', () => new Proxy(new Error('x'), { ownKeys: trap }), /^x$/],
    ['a proxy of a plain object whose traps throw', proxyOfObject, /could not be serialised: Error: trap/],
    ['a revoked proxy', revoked, /could not be serialised: TypeError/],
  ]

  it.each(hostile)('fails only the task that throws %s, sync or async, while 3 others on the worker complete', async (_label, make, message) => {
    const ep = createEndpoint()
    const gates: (() => void)[] = []
    runWorker(
      {
        slow: (x: number) => new Promise<number>((resolve) => gates.push(() => resolve(x))),
        throwsSync: () => {
          throw make()
        },
        rejects: async () => {
          await Promise.resolve()
          throw make()
        },
      },
      ep.endpoint,
    )
    ep.send({ type: 'configure', concurrency: 4, reportHeap: false })
    ep.send([RUN_FRAME, 1, 1, 'slow', 1, 1, undefined, 2, 2, 'slow', 2, 1, undefined, 3, 3, 'rejects', null, 1, undefined, 4, 4, 'slow', 4, 1, undefined])
    ep.send([RUN_FRAME, 5, 5, 'throwsSync', null, 1, undefined])
    await tick()
    for (const open of gates) open()
    await tick()
    const byId = new Map(ep.results.map((r) => [r.id, r]))
    expect([...byId.keys()].sort()).toEqual([1, 2, 3, 4, 5])
    expect(errorOf(byId.get(3)).message).toMatch(message)
    expect(errorOf(byId.get(5)).message).toMatch(message)
    expect([1, 2, 4].map((id) => byId.get(id))).toEqual([1, 2, 4].map((id) => ({ type: 'result', id, ok: true, value: id })))
    expect(ep.closed).toBe(0)
  })

  it('fails a task whose result is a proxy with a throwing get trap with that error (as await would), and goes on', async () => {
    const ep = createEndpoint()
    runWorker({ f: (x: number) => (x === 1 ? new Proxy({}, { get: trap }) : x) }, ep.endpoint)
    ep.send([RUN_FRAME, 1, 1, 'f', 1, 1, undefined, 2, 2, 'f', 2, 1, undefined])
    await tick()
    expect(errorOf(ep.results[0]).message).toBe('trap')
    expect(ep.results[1]).toEqual({ type: 'result', id: 2, ok: true, value: 2 })
  })

  it('fails a task whose thenable result throws from then() or settles twice, once', async () => {
    const ep = createEndpoint()
    const thenables: Record<number, unknown> = {
      1: { then: trap },
      2: {
        then: (ok: (v: unknown) => void, fail: (e: unknown) => void) => {
          ok('first')
          fail(new Error('second'))
          throw new Error('third')
        },
      },
    }
    runWorker({ f: (x: number) => thenables[x] ?? x }, ep.endpoint)
    ep.send([RUN_FRAME, 1, 1, 'f', 1, 1, undefined, 2, 2, 'f', 2, 1, undefined, 3, 3, 'f', 3, 1, undefined])
    await tick()
    expect(ep.results.map((r) => r.id).sort()).toEqual([1, 2, 3])
    const byId = new Map(ep.results.map((r) => [r.id, r]))
    expect(errorOf(byId.get(1)).message).toBe('trap')
    expect(byId.get(2)).toMatchObject({ ok: true, value: 'first' })
    expect(byId.get(3)).toMatchObject({ ok: true, value: 3 })
  })

  it('fails a task whose result throws a hostile value while it is cloned, describing it, and goes on', async () => {
    // Structured clone runs getters: this one throws a proxy whose traps throw.
    const ep = createEndpoint()
    const endpoint = ep.endpoint
    const post = endpoint.post.bind(endpoint)
    endpoint.post = (p, t) => {
      if (isResultFrame(p) && p.some((v) => typeof v === 'object' && v !== null && 'bad' in v)) throw proxyOfObject()
      post(p, t)
    }
    runWorker({ f: (x: number) => (x === 1 ? { bad: true } : x) }, endpoint)
    ep.send([RUN_FRAME, 1, 11, 'f', 1, 1, undefined, 2, 12, 'f', 2, 1, undefined])
    await tick()
    const byId = new Map(ep.results.map((r) => [r.id, r]))
    expect(errorOf(byId.get(1)).message).toMatch(/^The result of task 11 \(f\) could not be sent back from the worker: /)
    expect(byId.get(2)).toMatchObject({ ok: true, value: 2 })
  })

  it('fails a task whose serialised error cannot be posted with an error naming the original, and goes on', async () => {
    // A channel that cannot carry a field of the error (JSON and a bigint, say).
    const holdsBigint = (value: unknown): boolean => {
      let found = false
      JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? ((found = true), null) : v))
      return found
    }
    const ep = createEndpoint((post) => isResultFrame(post) && holdsBigint(post))
    runWorker(
      {
        f: (x: number) => {
          if (x === 1) throw Object.assign(new RangeError('too big'), { size: 10n })
          return x
        },
      },
      ep.endpoint,
    )
    ep.send([RUN_FRAME, 1, 11, 'f', 1, 1, undefined, 2, 12, 'f', 2, 1, undefined])
    await tick()
    const byId = new Map(ep.results.map((r) => [r.id, r]))
    expect(errorOf(byId.get(1)).message).toBe('The error thrown by task 11 (f) could not be sent back from the worker: DataCloneError: could not be cloned; it was RangeError: too big')
    expect(byId.get(2)).toMatchObject({ ok: true, value: 2 })
  })

  it('posts init-error describing a hostile value setup() throws, and closes', async () => {
    const ep = createEndpoint()
    runWorker({ f: () => 1 }, ep.endpoint, {
      setup: () => {
        throw proxyOfObject()
      },
    })
    await tick()
    expect(ep.messages.map((m) => m.type)).toEqual(['init-error'])
    const error = deserializeError((ep.messages[0] as Extract<WorkerMessage, { type: 'init-error' }>).error) as Error
    expect(error.message).toBe('<the error could not be serialised: Error: trap>')
    expect(ep.closed).toBe(1)
  })

  it('posts init-error in plain words when the serialised setup() error cannot be posted, and closes', async () => {
    let refused = 0
    const ep = createEndpoint((post) => (post as { type?: unknown }).type === 'init-error' && refused++ === 0)
    runWorker({ f: () => 1 }, ep.endpoint, {
      setup: () => {
        throw new Error('no database')
      },
    })
    await tick()
    const error = deserializeError((ep.messages[0] as Extract<WorkerMessage, { type: 'init-error' }>).error) as Error
    expect(error.message).toBe('setup() failed, and its error could not be sent from the worker: DataCloneError: could not be cloned; it was Error: no database')
    expect(ep.closed).toBe(1)
  })
})
