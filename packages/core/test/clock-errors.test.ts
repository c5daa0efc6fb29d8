import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  CircuitOpenError,
  createPool,
  createVirtualClock,
  ErrorCode,
  isPoolError,
  PoolClosedError,
  PoolError,
  QueueFullError,
  systemClock,
  TaskDroppedError,
  TaskTimeoutError,
  WorkerExitError,
} from '../src/index.js'
import { track } from './support.js'

// ---------------------------------------------------------------- createVirtualClock

describe('createVirtualClock', () => {
  it('starts at 0, or at options.now', () => {
    expect(createVirtualClock().now()).toBe(0)
    expect(createVirtualClock({ now: 1234 }).now()).toBe(1234)
  })

  it('fires timers in order of their due time, whatever order they were set in', async () => {
    const clock = createVirtualClock()
    const fired: string[] = []
    clock.setTimeout(() => fired.push('c@30'), 30)
    clock.setTimeout(() => fired.push('a@10'), 10)
    clock.setTimeout(() => fired.push('b@20'), 20)
    await clock.advance(30)
    expect(fired).toEqual(['a@10', 'b@20', 'c@30'])
  })

  it('fires timers due at the same time in the order they were set', async () => {
    const clock = createVirtualClock()
    const fired: number[] = []
    for (let i = 0; i < 5; i++) clock.setTimeout(() => fired.push(i), 10)
    clock.setTimeout(() => fired.push(-1), 5)
    await clock.advance(10)
    expect(fired).toEqual([-1, 0, 1, 2, 3, 4])
  })

  it('shows each timer the time it was due, and ends advance() at the target time', async () => {
    const clock = createVirtualClock({ now: 100 })
    const seen: number[] = []
    clock.setTimeout(() => seen.push(clock.now()), 5)
    clock.setTimeout(() => seen.push(clock.now()), 15)
    await clock.advance(50)
    expect(seen).toEqual([105, 115])
    expect(clock.now()).toBe(150)
  })

  it('does not fire a timer before it is due', async () => {
    const clock = createVirtualClock()
    const fn = vi.fn()
    clock.setTimeout(fn, 100)
    await clock.advance(99)
    expect(fn).not.toHaveBeenCalled()
    await clock.advance(1)
    expect(fn).toHaveBeenCalledTimes(1)
  })

  it('fires a timer set from a timer callback when it falls due within the same advance()', async () => {
    const clock = createVirtualClock()
    const fired: number[] = []
    clock.setTimeout(() => {
      fired.push(clock.now())
      clock.setTimeout(() => fired.push(clock.now()), 10)
    }, 10)
    await clock.advance(25)
    expect(fired).toEqual([10, 20])
    expect(clock.now()).toBe(25)
  })

  it('treats a zero, negative or NaN delay as due now', async () => {
    const clock = createVirtualClock()
    const fired: string[] = []
    clock.setTimeout(() => fired.push('neg'), -5)
    clock.setTimeout(() => fired.push('nan'), Number.NaN)
    clock.setTimeout(() => fired.push('zero'), 0)
    await clock.advance(0)
    expect(fired).toEqual(['neg', 'nan', 'zero'])
    expect(clock.now()).toBe(0)
  })

  it('clearTimeout cancels a pending timer, and ignores fired, cleared or unknown handles', async () => {
    const clock = createVirtualClock()
    const fired: string[] = []
    const a = clock.setTimeout(() => fired.push('a'), 10)
    const b = clock.setTimeout(() => fired.push('b'), 10)
    clock.clearTimeout(a)
    expect(clock.pending).toBe(1)
    clock.clearTimeout(a)
    clock.clearTimeout(12345)
    clock.clearTimeout(undefined)
    expect(clock.pending).toBe(1)
    await clock.advance(10)
    expect(fired).toEqual(['b'])
    clock.clearTimeout(b)
    expect(clock.pending).toBe(0)
  })

  it('gives each timer a distinct handle', () => {
    const clock = createVirtualClock()
    const handles = new Set([clock.setTimeout(() => {}, 1), clock.setTimeout(() => {}, 1), clock.setTimeout(() => {}, 2)])
    expect(handles.size).toBe(3)
  })

  it('counts pending timers: set adds one, firing and clearing remove one', async () => {
    const clock = createVirtualClock()
    expect(clock.pending).toBe(0)
    const a = clock.setTimeout(() => {}, 10)
    clock.setTimeout(() => {}, 20)
    expect(clock.pending).toBe(2)
    await clock.advance(10)
    expect(clock.pending).toBe(1)
    clock.clearTimeout(a) // already fired: no change
    expect(clock.pending).toBe(1)
    await clock.advance(10)
    expect(clock.pending).toBe(0)
  })

  it('advance() moves now forward by exactly ms even with no timers', async () => {
    const clock = createVirtualClock({ now: 7 })
    await clock.advance(0)
    expect(clock.now()).toBe(7)
    await clock.advance(93)
    expect(clock.now()).toBe(100)
  })

  it('advance() refuses a negative or NaN amount with a RangeError', async () => {
    const clock = createVirtualClock()
    await expect(clock.advance(-1)).rejects.toBeInstanceOf(RangeError)
    await expect(clock.advance(Number.NaN)).rejects.toBeInstanceOf(RangeError)
    expect(clock.now()).toBe(0)
  })

  it('next() moves to the next timer and fires it, and resolves false when none is pending', async () => {
    const clock = createVirtualClock()
    const fired: number[] = []
    clock.setTimeout(() => fired.push(1), 40)
    clock.setTimeout(() => fired.push(2), 90)
    expect(await clock.next()).toBe(true)
    expect(fired).toEqual([1])
    expect(clock.now()).toBe(40)
    expect(await clock.next()).toBe(true)
    expect(clock.now()).toBe(90)
    expect(await clock.next()).toBe(false)
    expect(fired).toEqual([1, 2])
    expect(clock.now()).toBe(90)
  })

  it('runAll() fires every timer, including those set while it runs', async () => {
    const clock = createVirtualClock()
    let fired = 0
    const chain = (left: number): void => {
      clock.setTimeout(() => {
        fired++
        if (left > 1) chain(left - 1)
      }, 100)
    }
    chain(5)
    clock.setTimeout(() => fired++, 1000)
    await clock.runAll()
    expect(fired).toBe(6)
    expect(clock.pending).toBe(0)
    expect(clock.now()).toBe(1000)
  })

  it('runAll() throws on an endless chain of timers once past its limit', async () => {
    const clock = createVirtualClock()
    const loop = (): void => void clock.setTimeout(loop, 1)
    loop()
    await expect(clock.runAll(50)).rejects.toThrow(/50/)
  })

  it('runAll(limit) fires at most limit timers before it throws', async () => {
    const clock = createVirtualClock()
    let fired = 0
    const loop = (): void => {
      clock.setTimeout(() => {
        fired++
        loop()
      }, 1)
    }
    loop()
    await expect(clock.runAll(10)).rejects.toThrow()
    expect(fired).toBe(10)
  })

  it('runAll(limit) does not throw when exactly limit timers were pending', async () => {
    const clock = createVirtualClock()
    let fired = 0
    for (let i = 0; i < 10; i++) clock.setTimeout(() => fired++, i)
    await expect(clock.runAll(10)).resolves.toBeUndefined()
    expect(fired).toBe(10)
  })

  it('lets promise callbacks run between two timers due at the same time', async () => {
    const clock = createVirtualClock()
    const order: string[] = []
    clock.setTimeout(() => {
      order.push('timer 1')
      void Promise.resolve()
        .then(() => order.push('microtask 1'))
        .then(() => order.push('microtask 2'))
    }, 10)
    clock.setTimeout(() => order.push('timer 2'), 10)
    await clock.advance(10)
    expect(order).toEqual(['timer 1', 'microtask 1', 'microtask 2', 'timer 2'])
  })

  it('lets an async function resumed by a timer set the next timer before time moves on', async () => {
    const clock = createVirtualClock()
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => clock.setTimeout(resolve, ms))
    const stamps: number[] = []
    const task = (async () => {
      for (let i = 0; i < 3; i++) {
        await sleep(10)
        stamps.push(clock.now())
      }
    })()
    await clock.advance(30)
    await task
    expect(stamps).toEqual([10, 20, 30])
  })

  it('flush() lets pending promise callbacks run without moving time or firing timers', async () => {
    const clock = createVirtualClock({ now: 5 })
    const fn = vi.fn()
    clock.setTimeout(fn, 0)
    let resolved = false
    void Promise.resolve().then(() => (resolved = true))
    await clock.flush()
    expect(resolved).toBe(true)
    expect(fn).not.toHaveBeenCalled()
    expect(clock.now()).toBe(5)
  })

  it('has an unref() that does nothing', () => {
    const clock = createVirtualClock()
    const handle = clock.setTimeout(() => {}, 1)
    expect(() => clock.unref?.(handle)).not.toThrow()
    expect(clock.pending).toBe(1)
  })
})

// ---------------------------------------------------------------- systemClock

describe('systemClock', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('has now, setTimeout, clearTimeout and unref', () => {
    expect(typeof systemClock.now).toBe('function')
    expect(typeof systemClock.setTimeout).toBe('function')
    expect(typeof systemClock.clearTimeout).toBe('function')
    expect(typeof systemClock.unref).toBe('function')
  })

  it('now() returns a finite number that never goes back', () => {
    const a = systemClock.now()
    const b = systemClock.now()
    expect(Number.isFinite(a)).toBe(true)
    expect(b).toBeGreaterThanOrEqual(a)
  })

  it('setTimeout and clearTimeout use the global timers (checked with fake timers)', () => {
    vi.useFakeTimers()
    const fired: string[] = []
    systemClock.setTimeout(() => fired.push('kept'), 100)
    const cleared = systemClock.setTimeout(() => fired.push('cleared'), 100)
    systemClock.clearTimeout(cleared)
    vi.advanceTimersByTime(99)
    expect(fired).toEqual([])
    vi.advanceTimersByTime(1)
    expect(fired).toEqual(['kept'])
  })

  it("unref() calls the handle's own unref, and ignores handles without one", () => {
    const unref = vi.fn()
    systemClock.unref!({ unref })
    expect(unref).toHaveBeenCalledTimes(1)
    expect(() => systemClock.unref!(42)).not.toThrow()
    expect(() => systemClock.unref!({})).not.toThrow()
  })

  it('does not time out a task with a taskTimeout above 2^31-1 ms after 1 ms (Node clamps such delays to 1 ms)', async () => {
    vi.useFakeTimers()
    const pool = createPool({ handler: () => new Promise<number>(() => {}), taskTimeout: 2 ** 31 })
    const result = track(pool.run(1))
    await vi.advanceTimersByTimeAsync(10)
    expect(result.status).toBe('pending')
    void pool.destroy()
    await vi.advanceTimersByTimeAsync(0)
  })
})

// ---------------------------------------------------------------- errors

describe('error classes', () => {
  const cause = new Error('underlying')
  const cases = [
    {
      name: 'QueueFullError',
      code: 'ERR_POOL_QUEUE_FULL',
      make: () => new QueueFullError(5, { cause }),
      message: /queue is full.*5/,
    },
    {
      name: 'TaskDroppedError',
      code: 'ERR_POOL_TASK_DROPPED',
      make: () => new TaskDroppedError({ cause }),
      message: /dropped/,
    },
    {
      name: 'TaskTimeoutError',
      code: 'ERR_POOL_TASK_TIMEOUT',
      make: () => new TaskTimeoutError(1500, { cause }),
      message: /timed out after 1500 ms/,
    },
    {
      name: 'PoolClosedError',
      code: 'ERR_POOL_CLOSED',
      make: () => new PoolClosedError(undefined, { cause }),
      message: /closed/,
    },
    {
      name: 'CircuitOpenError',
      code: 'ERR_POOL_CIRCUIT_OPEN',
      make: () => new CircuitOpenError('payments', 9000, { cause }),
      message: /"payments".*open.*9000/,
    },
    {
      name: 'WorkerExitError',
      code: 'ERR_POOL_WORKER_EXIT',
      make: () => new WorkerExitError({ workerId: 3, exitCode: 137, cause }),
      message: /Worker 3 exited with code 137/,
    },
  ] as const

  it.each(cases)('$name is a PoolError and an Error, with code $code, its name, a clear message and the cause', ({ name, code, make, message }) => {
    const error = make()
    expect(error).toBeInstanceOf(PoolError)
    expect(error).toBeInstanceOf(Error)
    expect(error.code).toBe(code)
    expect(error.name).toBe(name)
    expect(error.message).toMatch(message)
    expect(error.cause).toBe(cause)
    expect(isPoolError(error)).toBe(true)
    expect(String(error)).toBe(`${name}: ${error.message}`)
    expect(error.stack).toContain(name)
  })

  it('exposes every code in ErrorCode, each with the ERR_POOL_ prefix and distinct', () => {
    const codes = Object.values(ErrorCode)
    expect(codes.sort()).toEqual(
      [
        'ERR_POOL_CIRCUIT_OPEN',
        'ERR_POOL_CLOSED',
        'ERR_POOL_QUEUE_FULL',
        'ERR_POOL_TASK_DROPPED',
        'ERR_POOL_TASK_TIMEOUT',
        'ERR_POOL_WORKER_EXIT',
        'ERR_POOL_WORKER_START',
        'ERR_POOL_NO_CAPABLE_WORKER',
        'ERR_POOL_DEADLINE_EXCEEDED',
      ].sort(),
    )
    expect(new Set(codes).size).toBe(codes.length)
    expect(ErrorCode).toMatchObject({
      QueueFull: 'ERR_POOL_QUEUE_FULL',
      TaskDropped: 'ERR_POOL_TASK_DROPPED',
      TaskTimeout: 'ERR_POOL_TASK_TIMEOUT',
      PoolClosed: 'ERR_POOL_CLOSED',
      CircuitOpen: 'ERR_POOL_CIRCUIT_OPEN',
      WorkerExit: 'ERR_POOL_WORKER_EXIT',
      WorkerStart: 'ERR_POOL_WORKER_START',
      NoCapableWorker: 'ERR_POOL_NO_CAPABLE_WORKER',
    })
  })

  it('PoolError takes any code and message, and an optional cause', () => {
    const error = new PoolError('ERR_POOL_CUSTOM', 'custom failure', { cause: 'why' })
    expect(error.name).toBe('PoolError')
    expect(error.code).toBe('ERR_POOL_CUSTOM')
    expect(error.message).toBe('custom failure')
    expect(error.cause).toBe('why')
    expect(new PoolError('ERR_POOL_X', 'no cause').cause).toBeUndefined()
  })

  it('QueueFullError carries the limit and, for per-key limits, the key and a message naming it', () => {
    const plain = new QueueFullError(10)
    expect(plain.limit).toBe(10)
    expect(plain.key).toBeUndefined()
    const perKey = new QueueFullError(3, { key: 'tenant-a' })
    expect(perKey.key).toBe('tenant-a')
    expect(perKey.message).toContain('"tenant-a"')
    expect(perKey.message).toContain('3')
    expect(new QueueFullError(1, { message: 'custom text' }).message).toBe('custom text')
  })

  it('TaskTimeoutError carries the timeout', () => {
    expect(new TaskTimeoutError(250).timeoutMs).toBe(250)
  })

  it('PoolClosedError has a default message and takes another', () => {
    expect(new PoolClosedError().message).toBe('The pool is closed')
    expect(new PoolClosedError('closed before start').message).toBe('closed before start')
  })

  it('CircuitOpenError carries key and retryAt, and names tasks without a key', () => {
    const keyed = new CircuitOpenError('k', 42)
    expect(keyed.key).toBe('k')
    expect(keyed.retryAt).toBe(42)
    const unkeyed = new CircuitOpenError(undefined, 7)
    expect(unkeyed.key).toBeUndefined()
    expect(unkeyed.message).toContain('without a key')
  })

  it('WorkerExitError carries workerId, exitCode and signal, and says how the worker ended', () => {
    const bySignal = new WorkerExitError({ workerId: 2, signal: 'SIGKILL' })
    expect(bySignal.signal).toBe('SIGKILL')
    expect(bySignal.exitCode).toBeUndefined()
    expect(bySignal.message).toContain('killed by SIGKILL')
    const byCode = new WorkerExitError({ workerId: 2, exitCode: 1 })
    expect(byCode.exitCode).toBe(1)
    expect(byCode.workerId).toBe(2)
    expect(new WorkerExitError({ workerId: 4 }).message).toMatch(/Worker 4 exited/)
    expect(new WorkerExitError({ workerId: 4, message: 'custom' }).message).toBe('custom')
  })

  it('the cause is not set when none is given', () => {
    expect('cause' in new TaskDroppedError()).toBe(false)
    expect(new TaskTimeoutError(1).cause).toBeUndefined()
  })
})

describe('isPoolError', () => {
  it('is true for every error class of the pool', () => {
    for (const error of [
      new PoolError('ERR_POOL_X', 'x'),
      new QueueFullError(1),
      new TaskDroppedError(),
      new TaskTimeoutError(1),
      new PoolClosedError(),
      new CircuitOpenError('k', 1),
      new WorkerExitError({ workerId: 1 }),
    ]) {
      expect(isPoolError(error)).toBe(true)
    }
  })

  it('is true for an Error from another copy of core: an ERR_POOL_ code on an Error', () => {
    const foreign = Object.assign(new Error('from another copy'), { code: 'ERR_POOL_QUEUE_FULL' })
    expect(isPoolError(foreign)).toBe(true)
  })

  it.each([
    ['a plain Error', new Error('x')],
    ['a TypeError', new TypeError('x')],
    ['an Error with a code lacking the ERR_POOL_ prefix', Object.assign(new Error('x'), { code: 'ERR_QUEUE_FULL' })],
    ['an Error with a Node code', Object.assign(new Error('x'), { code: 'ENOENT' })],
    ['an Error with a numeric code', Object.assign(new Error('x'), { code: 500 })],
    ['a plain object shaped like a pool error', { name: 'QueueFullError', message: 'x', code: 'ERR_POOL_QUEUE_FULL' }],
    ['a plain object with a look-alike code', { name: 'PoolError', message: 'x', code: 'POOL_ERR_CLOSED' }],
    ['a string', 'ERR_POOL_CLOSED'],
    ['null', null],
    ['undefined', undefined],
  ])('is false for %s', (_label, value) => {
    expect(isPoolError(value)).toBe(false)
  })
})
