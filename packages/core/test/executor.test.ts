import { describe, expect, it } from 'vitest'
import {
  CircuitOpenError,
  createPool,
  createVirtualClock,
  ErrorCode,
  PoolClosedError,
  systemClock,
  TaskTimeoutError,
  WorkerExitError,
  WorkerStartError,
  type Breaker,
  type BreakerDenial,
  type Executor,
  type PoolObserver,
  type PoolView,
  type PoolSnapshot,
  type Scaler,
  type SpawnContext,
  type TaskDone,
  type TaskInfo,
  type TaskQueue,
  type WorkerExit,
  type WorkerHandle,
  type WorkerInfo,
  type WorkerSelector,
  type WorkerTask,
} from '../src/index.js'
import { tick } from './support.js'

// ---------------------------------------------------------------- the fake executor

interface FakeRun {
  readonly input: number
  readonly task: WorkerTask
  readonly worker: FakeWorker
  resolve(value: number): void
  reject(error: unknown): void
}

interface FakeWorker {
  readonly id: number
  readonly context: SpawnContext
  readonly handle: WorkerHandle<number, number>
  /** Tasks the worker is running now. */
  readonly running: Set<FakeRun>
  terminated: boolean
  /** Simulates an unexpected exit: running tasks reject with WorkerExitError, then onExit is called. */
  crash(exit?: WorkerExit): void
}

interface FakeOptions {
  tasksPerWorker?: number
  runsPerWorker?: number
  defaultConcurrency?: number
  /** Spawns resolve only when the test calls `settleSpawn`. */
  asyncSpawn?: boolean
  /** Decides, per spawn call (1-based), to throw (sync) or reject (async) instead of spawning. */
  failSpawn?: (call: number) => 'throw' | 'reject' | undefined
}

/** A test double for core's Executor contract: workers and task results under the test's control. */
function createFakeExecutor(options: FakeOptions = {}) {
  const workers: FakeWorker[] = []
  const runs: FakeRun[] = []
  const pendingSpawns: { context: SpawnContext; resolve(): void; reject(error: unknown): void }[] = []
  const log: string[] = []
  let spawnCalls = 0
  let closeCalls = 0

  const makeWorker = (context: SpawnContext): FakeWorker => {
    const running = new Set<FakeRun>()
    const worker: FakeWorker = {
      id: context.workerId,
      context,
      running,
      terminated: false,
      handle: {
        id: context.workerId,
        run(input: number, task: WorkerTask): Promise<number> {
          return new Promise<number>((resolve, reject) => {
            const run: FakeRun = {
              input,
              task,
              worker,
              resolve: (v) => {
                running.delete(run)
                resolve(v)
              },
              reject: (e) => {
                running.delete(run)
                reject(e)
              },
            }
            running.add(run)
            runs.push(run)
            log.push(`run:${worker.id}:${input}`)
          })
        },
        terminate(): Promise<void> {
          worker.terminated = true
          log.push(`terminate:${worker.id}`)
          return Promise.resolve()
        },
      },
      crash(exit: WorkerExit = { exitCode: 1 }) {
        for (const run of [...running]) {
          run.reject(new WorkerExitError({ workerId: worker.id, exitCode: exit.exitCode, signal: exit.signal, cause: exit.error }))
        }
        context.onExit(exit)
      },
    }
    workers.push(worker)
    return worker
  }

  const executor: Executor<number, number> = {
    kind: 'fake',
    tasksPerWorker: options.tasksPerWorker,
    runsPerWorker: options.runsPerWorker,
    defaultConcurrency: options.defaultConcurrency,
    spawn(context: SpawnContext) {
      const call = ++spawnCalls
      log.push(`spawn:${context.workerId}`)
      const failure = options.failSpawn?.(call)
      if (failure === 'throw') throw new Error(`spawn ${call} failed`)
      if (failure === 'reject') return Promise.reject(new Error(`spawn ${call} failed`))
      if (options.asyncSpawn === true) {
        return new Promise<WorkerHandle<number, number>>((resolve, reject) => {
          pendingSpawns.push({ context, resolve: () => resolve(makeWorker(context).handle), reject })
        })
      }
      return makeWorker(context).handle
    },
    close() {
      closeCalls++
      log.push('executor.close')
    },
  }

  return {
    executor,
    workers,
    runs,
    log,
    pendingSpawns,
    get spawnCalls() {
      return spawnCalls
    },
    get closeCalls() {
      return closeCalls
    },
    /** Resolves the oldest pending async spawn. */
    settleSpawn() {
      const next = pendingSpawns.shift()
      if (next === undefined) throw new Error('no spawn pending')
      next.resolve()
    },
    /** Runs not yet settled. */
    active(): FakeRun[] {
      return workers.flatMap((w) => [...w.running])
    },
    alive(): FakeWorker[] {
      return workers.filter((w) => !w.terminated)
    },
  }
}

/** Tracks whether a promise settled yet, without leaving a rejection unhandled. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; ok?: boolean; value?: T; error?: unknown } = { settled: false }
  promise.then(
    (value) => Object.assign(state, { settled: true, ok: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, ok: false, error }),
  )
  return state
}

/** An array FIFO implementing TaskQueue, ignoring priority. */
class ArrayQueue<T extends TaskInfo> implements TaskQueue<T> {
  readonly items: T[] = []
  readonly calls: string[] = []
  get size(): number {
    return this.items.length
  }
  push(task: T): void {
    this.calls.push(`push:${task.id}`)
    this.items.push(task)
  }
  shift(): T | undefined {
    const task = this.items.shift()
    if (task !== undefined) this.calls.push(`shift:${task.id}`)
    return task
  }
  peek(): T | undefined {
    return this.items[0]
  }
  remove(task: T): boolean {
    const i = this.items.indexOf(task)
    if (i === -1) return false
    this.items.splice(i, 1)
    this.calls.push(`remove:${task.id}`)
    return true
  }
  clear(): T[] {
    return this.items.splice(0)
  }
}

// ---------------------------------------------------------------- spawning

describe('spawning workers', () => {
  it('spawns concurrency workers up front, with distinct ids, before any task', async () => {
    const fake = createFakeExecutor()
    const pool = createPool({ executor: fake.executor, concurrency: 3 })
    expect(fake.spawnCalls).toBe(3)
    expect(new Set(fake.workers.map((w) => w.id)).size).toBe(3)
    expect(pool.stats().workers).toEqual({ total: 3, busy: 0, idle: 3, starting: 0 })
    expect(pool.stats().executor).toBe('fake')
    await pool.close()
  })

  it("uses the executor's defaultConcurrency when concurrency is left out", async () => {
    const fake = createFakeExecutor({ defaultConcurrency: 4 })
    const pool = createPool({ executor: fake.executor })
    expect(fake.spawnCalls).toBe(4)
    expect(pool.stats().targetWorkers).toBe(4)
    await pool.close()
  })

  it('ready() waits for every async spawn', async () => {
    const fake = createFakeExecutor({ asyncSpawn: true })
    const pool = createPool({ executor: fake.executor, concurrency: 2 })
    const ready = track(pool.ready())
    expect(pool.stats().workers).toEqual({ total: 2, busy: 0, idle: 0, starting: 2 })
    fake.settleSpawn()
    await tick()
    expect(ready.settled).toBe(false)
    expect(pool.stats().workers.starting).toBe(1)
    fake.settleSpawn()
    await tick()
    expect(ready.settled).toBe(true)
    expect(ready.ok).toBe(true)
    expect(pool.stats().workers).toEqual({ total: 2, busy: 0, idle: 2, starting: 0 })
    await pool.close()
  })

  it('sends no task to a worker before its spawn resolves, then runs the queued tasks', async () => {
    const clock = createVirtualClock()
    const fake = createFakeExecutor({ asyncSpawn: true })
    const pool = createPool({ executor: fake.executor, concurrency: 1, clock })
    const result = pool.run(5)
    await clock.flush()
    expect(fake.runs).toHaveLength(0)
    expect(pool.stats().queued).toBe(1)
    fake.settleSpawn()
    await clock.flush()
    expect(fake.runs).toHaveLength(1)
    fake.runs[0]!.resolve(50)
    expect(await result).toBe(50)
    await pool.close()
  })
})

// ---------------------------------------------------------------- tasksPerWorker

describe('tasksPerWorker > 1', () => {
  it('lets one worker run several tasks at once', async () => {
    const fake = createFakeExecutor({ tasksPerWorker: 3 })
    const pool = createPool({ executor: fake.executor, concurrency: 1 })
    const results = [1, 2, 3].map((x) => pool.run(x))
    await tick()
    expect(fake.runs).toHaveLength(3)
    expect(new Set(fake.runs.map((r) => r.worker.id)).size).toBe(1)
    expect(pool.stats().workers).toEqual({ total: 1, busy: 1, idle: 0, starting: 0 })
    fake.runs.forEach((r) => r.resolve(r.input * 10))
    expect(await Promise.all(results)).toEqual([10, 20, 30])
    await pool.close()
  })

  it('limits the pool to workers × tasksPerWorker tasks at once, spreading them over the workers', async () => {
    const fake = createFakeExecutor({ tasksPerWorker: 3 })
    const pool = createPool({ executor: fake.executor, concurrency: 2 })
    // Without runsPerWorker, a worker runs every task it is handed.
    expect(pool.stats()).toMatchObject({ concurrency: 6, capacity: 6 })
    const results = Array.from({ length: 10 }, (_, i) => pool.run(i))
    await tick()
    expect(fake.active()).toHaveLength(6)
    expect(pool.stats().running).toBe(6)
    expect(pool.stats().queued).toBe(4)
    for (const w of fake.workers) expect(w.running.size).toBe(3)
    let maxActive = 0
    while (fake.active().length > 0) {
      maxActive = Math.max(maxActive, fake.active().length)
      const run = fake.active()[0]!
      run.resolve(run.input)
      await tick()
    }
    expect(maxActive).toBe(6)
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    await pool.close()
  })

  it('counts in stats().concurrency the tasks that run at once (runsPerWorker), and in stats().capacity the tasks handed out, sent-ahead ones included', async () => {
    // An executor that sends tasks ahead, as the node and web adapters do: each
    // worker runs 1 task at a time and holds 3 more waiting.
    const fake = createFakeExecutor({ tasksPerWorker: 4, runsPerWorker: 1 })
    const pool = createPool({ executor: fake.executor, concurrency: 3 })
    expect(pool.stats()).toMatchObject({ targetWorkers: 3, concurrency: 3, capacity: 12 })
    const results = Array.from({ length: 20 }, (_, i) => pool.run(i))
    await tick()
    // The pool still hands out tasksPerWorker to each worker.
    expect(fake.active()).toHaveLength(12)
    expect(pool.stats()).toMatchObject({ running: 12, queued: 8 })
    expect(pool.stats().running).toBeLessThanOrEqual(pool.stats().capacity)
    pool.resize(5)
    expect(pool.stats()).toMatchObject({ targetWorkers: 5, concurrency: 5, capacity: 20 })
    await tick()
    while (fake.active().length > 0) {
      const run = fake.active()[0]!
      run.resolve(run.input)
      await tick()
    }
    expect(await Promise.all(results)).toEqual(Array.from({ length: 20 }, (_, i) => i))
    await pool.close()
  })

  it("shows a scaler both figures: the snapshot's tasksPerWorker (handed out) and runsPerWorker (run at once)", async () => {
    const clock = createVirtualClock()
    const fake = createFakeExecutor({ tasksPerWorker: 5, runsPerWorker: 2 })
    const snapshots: PoolSnapshot[] = []
    const pool = createPool({ executor: fake.executor, clock, concurrency: 2, scaler: { intervalMs: 100, desired: (s) => (snapshots.push(s), s.targetWorkers) } })
    await clock.advance(100)
    expect(snapshots[0]).toMatchObject({ tasksPerWorker: 5, runsPerWorker: 2 })
    await pool.close()
  })

  it('refuses a runsPerWorker that is not a positive integer (TypeError) or exceeds tasksPerWorker (RangeError)', () => {
    for (const bad of [0, 1.5, -1, Number.NaN, '1']) {
      const fake = createFakeExecutor({ tasksPerWorker: 2, runsPerWorker: bad as number })
      expect(() => createPool({ executor: fake.executor })).toThrow(TypeError)
      expect(() => createPool({ executor: fake.executor })).toThrow(/options\.executor\.runsPerWorker/)
    }
    const fake = createFakeExecutor({ tasksPerWorker: 2, runsPerWorker: 3 })
    expect(() => createPool({ executor: fake.executor })).toThrow(new RangeError('options.executor.runsPerWorker (3) must not exceed options.executor.tasksPerWorker (2)'))
  })

  it('sends a new task to the least busy worker', async () => {
    const fake = createFakeExecutor({ tasksPerWorker: 2 })
    const pool = createPool({ executor: fake.executor, concurrency: 2 })
    const results = [pool.run(1), pool.run(2)]
    await tick()
    expect(fake.workers[0]!.running.size).toBe(1)
    expect(fake.workers[1]!.running.size).toBe(1)
    fake.active().forEach((r) => r.resolve(r.input))
    expect(await Promise.all(results)).toEqual([1, 2])
    await pool.close()
  })
})

// ---------------------------------------------------------------- crashes

describe('a worker that exits unexpectedly', () => {
  it("rejects its task with WorkerExitError, emits 'error', starts a replacement and keeps running queued tasks", async () => {
    const clock = createVirtualClock()
    const fake = createFakeExecutor()
    const errors: unknown[] = []
    const pool = createPool({ executor: fake.executor, concurrency: 1, clock })
    pool.on('error', (e) => errors.push(e))
    const first = track(pool.run(1))
    const second = track(pool.run(2))
    await clock.flush()
    expect(fake.runs).toHaveLength(1)
    const crashed = fake.workers[0]!
    crashed.crash({ exitCode: 3 })
    await clock.flush()
    expect(first.error).toBeInstanceOf(WorkerExitError)
    expect(errors).toHaveLength(1)
    const error = errors[0] as WorkerExitError
    expect(error).toBeInstanceOf(WorkerExitError)
    expect(error.code).toBe(ErrorCode.WorkerExit)
    expect(error.workerId).toBe(crashed.id)
    expect(error.exitCode).toBe(3)
    // The replacement runs the queued task.
    expect(fake.workers).toHaveLength(2)
    expect(fake.runs).toHaveLength(2)
    expect(fake.runs[1]!.worker.id).not.toBe(crashed.id)
    fake.runs[1]!.resolve(20)
    await clock.flush()
    expect(second.value).toBe(20)
    expect(pool.stats().workers.total).toBe(1)
    expect(pool.stats().counters.failed).toBe(1)
    await pool.close()
  })

  it("tells observers the worker exited as 'crashed' and that the replacement started", async () => {
    const fake = createFakeExecutor()
    const started: WorkerInfo[] = []
    const exited: [number, string, unknown][] = []
    const observer: PoolObserver = {
      onWorkerStarted: (_pool, worker) => started.push({ ...worker }),
      onWorkerExited: (_pool, worker, reason, error) => exited.push([worker.id, reason, error]),
    }
    const pool = createPool({ executor: fake.executor, concurrency: 2, observers: [observer], name: 'crashy' })
    expect(started.map((w) => w.id)).toEqual([1, 2])
    fake.workers[0]!.crash({ signal: 'SIGKILL', error: new Error('oom') })
    expect(exited).toHaveLength(1)
    expect(exited[0]![0]).toBe(1)
    expect(exited[0]![1]).toBe('crashed')
    const error = exited[0]![2] as WorkerExitError
    expect(error).toBeInstanceOf(WorkerExitError)
    expect(error.signal).toBe('SIGKILL')
    expect((error.cause as Error).message).toBe('oom')
    expect(started.map((w) => w.id)).toEqual([1, 2, 3])
    expect(pool.stats().workers.total).toBe(2)
    await pool.close()
  })

  it('retries the crashed task on the replacement when retry allows it', async () => {
    const clock = createVirtualClock()
    const fake = createFakeExecutor()
    const pool = createPool({ executor: fake.executor, clock, retry: { attempts: 2, backoff: { initialMs: 10, jitter: 0 } } })
    pool.on('error', () => {})
    const result = track(pool.run(1))
    await clock.flush()
    fake.workers[0]!.crash()
    await clock.advance(10)
    expect(fake.runs).toHaveLength(2)
    expect(fake.runs[1]!.task.attempt).toBe(2)
    fake.runs[1]!.resolve(11)
    await clock.flush()
    expect(result.value).toBe(11)
    await pool.close()
  })

  it('ignores a second onExit call from the same worker', async () => {
    const fake = createFakeExecutor()
    const errors: unknown[] = []
    const pool = createPool({ executor: fake.executor, concurrency: 1 })
    pool.on('error', (e) => errors.push(e))
    const w = fake.workers[0]!
    w.context.onExit({ exitCode: 1 })
    w.context.onExit({ exitCode: 1 })
    expect(errors).toHaveLength(1)
    expect(fake.spawnCalls).toBe(2)
    expect(pool.stats().workers.total).toBe(1)
    await pool.close()
  })
})

// ---------------------------------------------------------------- failed spawns

/**
 * An executor whose first spawn works and every later one throws. `runs` holds
 * the run promises' settle functions; `crash()` rejects every run of worker 1
 * with WorkerExitError (`started` decides taskStarted), then reports the exit.
 */
function firstSpawnOnly(tasksPerWorker = 1) {
  let spawns = 0
  let context: SpawnContext | undefined
  const runs: { input: number; reject(e: unknown): void }[] = []
  const executor: Executor<number, number> = {
    kind: 'fake',
    tasksPerWorker,
    spawn(ctx) {
      if (++spawns > 1) throw new Error(`spawn ${spawns} failed`)
      context = ctx
      return {
        id: ctx.workerId,
        run: (input) => new Promise<number>((_resolve, reject) => void runs.push({ input, reject })),
        terminate: () => Promise.resolve(),
      }
    },
  }
  const crash = (started: (input: number) => boolean): void => {
    for (const r of runs.splice(0)) r.reject(new WorkerExitError({ workerId: 1, exitCode: 1, taskStarted: started(r.input) }))
    context!.onExit({ exitCode: 1 })
  }
  return { executor, crash }
}

describe('a spawn that fails', () => {
  it("rejecting: emits 'error', keeps ready() pending, and the retry later on the clock makes the pool ready", async () => {
    const clock = createVirtualClock()
    const fake = createFakeExecutor({ failSpawn: (call) => (call === 1 ? 'reject' : undefined) })
    const pool = createPool({ executor: fake.executor, concurrency: 1, clock })
    const errors: unknown[] = []
    pool.on('error', (e) => errors.push(e))
    const ready = track(pool.ready())
    await clock.flush()
    expect(errors).toHaveLength(1)
    expect((errors[0] as Error).message).toBe('spawn 1 failed')
    expect(ready.settled).toBe(false)
    expect(fake.spawnCalls).toBe(1)
    expect(pool.stats().workers.total).toBe(0)
    expect(clock.pending).toBe(1)
    await clock.next()
    expect(fake.spawnCalls).toBe(2)
    expect(pool.stats().workers.total).toBe(1)
    await clock.flush()
    expect(ready.ok).toBe(true)
    await expect(pool.ready()).resolves.toBeUndefined()
    await pool.close()
  })

  it('throwing: a task submitted meanwhile runs once the retry succeeds', async () => {
    const clock = createVirtualClock()
    const fake = createFakeExecutor({ failSpawn: (call) => (call === 1 ? 'throw' : undefined) })
    const pool = createPool({ executor: fake.executor, concurrency: 1, clock })
    const ready = track(pool.ready())
    const result = track(pool.run(4))
    await clock.flush()
    expect(fake.runs).toHaveLength(0)
    expect(ready.settled).toBe(false)
    await clock.runAll()
    expect(fake.spawnCalls).toBe(2)
    expect(ready.ok).toBe(true)
    expect(fake.runs).toHaveLength(1)
    fake.runs[0]!.resolve(40)
    await clock.flush()
    expect(result.value).toBe(40)
    await pool.close()
  })

  it('after maxStartFailures failed starts in a row, stops trying and fails ready(), waiting and new tasks with one WorkerStartError carrying the cause', async () => {
    const clock = createVirtualClock()
    const fake = createFakeExecutor({ failSpawn: () => 'reject' })
    const pool = createPool({ executor: fake.executor, concurrency: 1, clock, maxStartFailures: 3 })
    const errors: unknown[] = []
    pool.on('error', (e) => errors.push(e))
    const ready = track(pool.ready())
    const waiting = track(pool.run(1))
    await clock.runAll()
    expect(fake.spawnCalls).toBe(3)
    expect(ready.ok).toBe(false)
    expect(ready.error).toBeInstanceOf(WorkerStartError)
    expect((ready.error as WorkerStartError).code).toBe('ERR_POOL_WORKER_START')
    expect((ready.error as WorkerStartError).cause).toBeInstanceOf(Error)
    expect(waiting.error).toBe(ready.error)
    await expect(pool.run(2)).rejects.toBe(ready.error)
    expect(errors.filter((e) => e instanceof WorkerStartError)).toHaveLength(1)
    expect(errors.filter((e) => !(e instanceof WorkerStartError))).toHaveLength(3)
    expect(clock.pending).toBe(0)
    const stats = pool.stats()
    expect(stats.counters.rejected).toBe(2)
    await pool.close()
  })

  it('with several workers starting at once, reports giving up once', async () => {
    const clock = createVirtualClock()
    const fake = createFakeExecutor({ failSpawn: () => 'reject' })
    const pool = createPool({ executor: fake.executor, concurrency: 4, clock, maxStartFailures: 3 })
    const errors: unknown[] = []
    pool.on('error', (e) => errors.push(e))
    await clock.runAll()
    expect(errors.filter((e) => e instanceof WorkerStartError)).toHaveLength(1)
    expect(fake.spawnCalls).toBeLessThanOrEqual(4 + 3)
    expect(clock.pending).toBe(0)
    await expect(pool.ready()).rejects.toBeInstanceOf(WorkerStartError)
    await pool.close()
  })

  it('tries again after giving up when resize() is called', async () => {
    const clock = createVirtualClock()
    let broken = true
    const fake = createFakeExecutor({ failSpawn: () => (broken ? 'reject' : undefined) })
    const pool = createPool({ executor: fake.executor, concurrency: 1, clock, maxStartFailures: 2 })
    pool.on('error', () => {})
    await clock.runAll()
    await expect(pool.ready()).rejects.toBeInstanceOf(WorkerStartError)
    broken = false
    pool.resize(1)
    await clock.flush()
    await expect(pool.ready()).resolves.toBeUndefined()
    const result = track(pool.run(3))
    await clock.flush()
    fake.runs[0]!.resolve(30)
    await clock.flush()
    expect(result.value).toBe(30)
    await pool.close()
  })

  it('queues again, without counting an attempt, a task whose worker died before it started', async () => {
    const fake = createFakeExecutor({ tasksPerWorker: 2 })
    const pool = createPool({ executor: fake.executor, concurrency: 1 })
    const first = track(pool.run(1))
    const second = track(pool.run(2))
    await tick()
    expect(fake.runs).toHaveLength(2)
    fake.runs[1]!.reject(new WorkerExitError({ workerId: 1, taskStarted: false }))
    await tick()
    expect(second.settled).toBe(false)
    expect(fake.runs).toHaveLength(3)
    expect(fake.runs[2]!.input).toBe(2)
    fake.runs[0]!.resolve(10)
    fake.runs[2]!.resolve(20)
    await tick()
    expect(first.value).toBe(10)
    expect(second.value).toBe(20)
    expect(pool.stats().counters.failed).toBe(0)
    expect(pool.stats().counters.retried).toBe(0)
    await pool.close()
  })

  it("throwing while growing: emits 'error' and tries once now, then again only after time passes", async () => {
    const clock = createVirtualClock()
    // Spawn 1 (the first worker) works; spawns 2 to 6 throw; later ones work.
    const fake = createFakeExecutor({ failSpawn: (call) => (call >= 2 && call <= 6 ? 'throw' : undefined) })
    const pool = createPool({ executor: fake.executor, concurrency: 1, clock })
    const errors: unknown[] = []
    pool.on('error', (e) => errors.push(e))
    pool.resize(2)
    expect(fake.spawnCalls).toBe(2)
    expect(errors).toHaveLength(1)
    expect(pool.stats().workers.total).toBe(1)
    await clock.next()
    expect(fake.spawnCalls).toBe(3)
    expect(errors).toHaveLength(2)
    await pool.destroy()
    expect(clock.pending).toBe(0)
  })

  it('backs off between failed retries and stops retrying once closed, leaving no timer', async () => {
    const clock = createVirtualClock()
    const fake = createFakeExecutor({ failSpawn: () => 'reject' })
    const pool = createPool({ executor: fake.executor, concurrency: 1, clock })
    pool.on('error', () => {})
    await clock.flush()
    const times: number[] = []
    for (let i = 0; i < 3; i++) {
      await clock.next()
      times.push(clock.now())
    }
    expect(fake.spawnCalls).toBe(4)
    // Each wait is longer than the one before.
    expect(times[1]! - times[0]!).toBeGreaterThan(times[0]!)
    expect(times[2]! - times[1]!).toBeGreaterThan(times[1]! - times[0]!)
    await pool.close()
    expect(clock.pending).toBe(0)
    expect(fake.spawnCalls).toBe(4)
  })

  it('settles a task whose retry falls due after the pool gave up (no worker will ever take it), and close() resolves', async () => {
    const clock = createVirtualClock()
    const fake = firstSpawnOnly()
    const pool = createPool({
      executor: fake.executor,
      clock,
      concurrency: 1,
      maxStartFailures: 1,
      retry: { attempts: 2, backoff: { initialMs: 10, jitter: 0 } },
    })
    pool.on('error', () => {})
    const task = track(pool.run(1))
    await clock.flush()
    fake.crash(() => true) // the replacement spawn throws: the pool gives up
    await expect(pool.run(2)).rejects.toBeInstanceOf(WorkerStartError)
    await clock.advance(10) // the retry falls due
    expect(task).toMatchObject({ settled: true, ok: false })
    const closed = track(pool.close())
    await clock.flush()
    expect(closed).toMatchObject({ settled: true, ok: true })
  })

  it('settles a task handed to a dead worker but never started when the pool gave up meanwhile', async () => {
    const clock = createVirtualClock()
    const fake = firstSpawnOnly(2)
    const pool = createPool({ executor: fake.executor, clock, concurrency: 1, maxStartFailures: 1 })
    pool.on('error', () => {})
    const first = track(pool.run(1))
    const second = track(pool.run(2))
    await clock.flush()
    fake.crash((input) => input === 1) // task 2 was waiting behind task 1 in the worker
    await clock.flush()
    expect(first).toMatchObject({ settled: true, ok: false })
    expect(second).toMatchObject({ settled: true, ok: false })
    const closed = track(pool.close())
    await clock.flush()
    expect(closed).toMatchObject({ settled: true, ok: true })
  })
})

// ---------------------------------------------------------------- close

describe('closing with an executor', () => {
  it('terminates every worker, then calls executor.close() once', async () => {
    const fake = createFakeExecutor()
    const exits: [number, string][] = []
    const pool = createPool({
      executor: fake.executor,
      concurrency: 3,
      observers: [{ onWorkerExited: (_pool, worker, reason) => exits.push([worker.id, reason]) }],
    })
    await pool.close()
    expect(fake.workers.every((w) => w.terminated)).toBe(true)
    expect(fake.closeCalls).toBe(1)
    expect(fake.log.indexOf('executor.close')).toBeGreaterThan(Math.max(...[1, 2, 3].map((id) => fake.log.indexOf(`terminate:${id}`))))
    expect(exits.map(([, reason]) => reason)).toEqual(['closed', 'closed', 'closed'])
    expect(pool.stats().workers.total).toBe(0)
  })

  it('terminates workers only after the tasks they run finished (graceful close)', async () => {
    const fake = createFakeExecutor()
    const pool = createPool({ executor: fake.executor, concurrency: 1 })
    const result = pool.run(1)
    await tick()
    const closing = track(pool.close())
    await tick()
    expect(fake.workers[0]!.terminated).toBe(false)
    expect(fake.runs[0]!.task.signal.aborted).toBe(false)
    fake.runs[0]!.resolve(9)
    expect(await result).toBe(9)
    await tick()
    expect(closing.settled).toBe(true)
    expect(fake.workers[0]!.terminated).toBe(true)
    expect(fake.closeCalls).toBe(1)
  })

  it('destroy() aborts the running task signal and terminates its worker', async () => {
    const fake = createFakeExecutor()
    const pool = createPool({ executor: fake.executor, concurrency: 1 })
    const result = track(pool.run(1))
    await tick()
    const report = await pool.destroy()
    expect(fake.runs[0]!.task.signal.aborted).toBe(true)
    expect(fake.runs[0]!.task.signal.reason).toBeInstanceOf(PoolClosedError)
    expect(result.error).toBeInstanceOf(PoolClosedError)
    expect(report.aborted.map((t) => t.id)).toEqual([1])
    expect(fake.workers[0]!.terminated).toBe(true)
    expect(fake.closeCalls).toBe(1)
  })

  it('waits for a spawn still pending at close, then terminates that worker before close resolves', async () => {
    const fake = createFakeExecutor({ asyncSpawn: true })
    const pool = createPool({ executor: fake.executor, concurrency: 1 })
    let closed = false
    const closing = pool.close().then(() => (closed = true))
    await tick()
    expect(closed).toBe(false)
    fake.settleSpawn()
    await closing
    expect(fake.workers).toHaveLength(1)
    expect(fake.workers[0]!.terminated).toBe(true)
  })

  it("reports a terminate() that rejects on the 'error' event and still closes", async () => {
    const fake = createFakeExecutor()
    const boom = new Error('terminate failed')
    const pool = createPool({ executor: fake.executor, concurrency: 1 })
    fake.workers[0]!.handle.terminate = () => Promise.reject(boom)
    const errors: unknown[] = []
    pool.on('error', (e) => errors.push(e))
    const report = await pool.close()
    expect(report.timedOut).toBe(false)
    expect(errors).toEqual([boom])
    expect(fake.closeCalls).toBe(1)
  })
})

// ---------------------------------------------------------------- selector

describe('a custom WorkerSelector', () => {
  it('is asked with only the workers that have room, and its choice runs the task', async () => {
    const fake = createFakeExecutor({ tasksPerWorker: 2 })
    const seen: number[][] = []
    const selector: WorkerSelector = {
      select(candidates) {
        seen.push(candidates.map((c) => c.id))
        for (const c of candidates) expect(c.running).toBeLessThan(c.capacity)
        // Always the highest id with room: fills worker 3, then 2, then 1.
        return candidates.reduce((a, b) => (b.id > a.id ? b : a))
      },
    }
    const pool = createPool({ executor: fake.executor, concurrency: 3, selector })
    const results = [1, 2, 3, 4, 5].map((x) => pool.run(x))
    await tick()
    expect(fake.runs.map((r) => r.worker.id)).toEqual([3, 3, 2, 2, 1])
    expect(seen).toEqual([[1, 2, 3], [1, 2, 3], [1, 2], [1, 2], [1]])
    fake.runs.forEach((r) => r.resolve(r.input))
    expect(await Promise.all(results)).toEqual([1, 2, 3, 4, 5])
    await pool.close()
  })

  it('receives the task it picks a worker for', async () => {
    const fake = createFakeExecutor()
    const tasks: TaskInfo[] = []
    const pool = createPool({
      executor: fake.executor,
      selector: {
        select(candidates, task) {
          tasks.push(task)
          return candidates[0]
        },
      },
    })
    const result = pool.run(1, { key: 'tenant-a', priority: 3 })
    await tick()
    expect(tasks).toHaveLength(1)
    expect(tasks[0]).toMatchObject({ id: 1, key: 'tenant-a', priority: 3, attempt: 1 })
    fake.runs[0]!.resolve(1)
    expect(await result).toBe(1)
    await pool.close()
  })

  it('keeps the task queued when it returns undefined, and asks again when a worker frees up', async () => {
    const fake = createFakeExecutor()
    let refuse = true
    let asked = 0
    const pool = createPool({
      executor: fake.executor,
      concurrency: 2,
      selector: {
        select(candidates) {
          asked++
          return refuse && candidates.length < 2 ? undefined : candidates[0]
        },
      },
    })
    const first = pool.run(1)
    await tick()
    expect(fake.runs).toHaveLength(1)
    // One worker has room, and the selector refuses to use it.
    const second = track(pool.run(2))
    await tick()
    expect(second.error).toBeUndefined()
    expect(second.settled).toBe(false)
    expect(fake.runs).toHaveLength(1)
    expect(pool.stats().queued).toBe(1)
    const askedBefore = asked
    refuse = false
    fake.runs[0]!.resolve(1)
    expect(await first).toBe(1)
    await tick()
    expect(asked).toBeGreaterThan(askedBefore)
    expect(fake.runs).toHaveLength(2)
    fake.runs[1]!.resolve(2)
    await tick()
    expect(second.value).toBe(2)
    await pool.close()
  })

  it("reports a choice that is not a candidate on 'error' and keeps the task queued", async () => {
    const fake = createFakeExecutor()
    const errors: unknown[] = []
    let bogus = true
    const pool = createPool({
      executor: fake.executor,
      selector: {
        select(candidates) {
          return bogus ? { id: 99, running: 0, capacity: 1, finished: 0, readyAt: 0, busyMs: 0, eventLoopUtilization: undefined, capabilities: [] } : candidates[0]
        },
      },
    })
    pool.on('error', (e) => errors.push(e))
    const result = track(pool.run(1))
    await tick()
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(TypeError)
    expect(fake.runs).toHaveLength(0)
    expect(result.settled).toBe(false)
    bogus = false
    void pool.run(2).catch(() => {}) // a new task makes the pool dispatch again
    await tick()
    expect(fake.runs.map((r) => r.input)).toEqual([1])
    await pool.destroy()
  })

  it('with a breaker that refuses at acquire, does not lose the chosen worker: shrinking still retires idle workers', async () => {
    const fake = createFakeExecutor()
    const breaker: Breaker = {
      admit: () => undefined,
      acquire: () => ({ retryAt: 1000 }),
      onSuccess: () => {},
      onFailure: () => {},
      onCancel: () => {},
    }
    const pool = createPool({
      executor: fake.executor,
      concurrency: 2,
      breaker,
      selector: { select: (candidates) => candidates[candidates.length - 1] },
    })
    await expect(pool.run(1)).rejects.toBeInstanceOf(CircuitOpenError)
    await expect(pool.run(2)).rejects.toBeInstanceOf(CircuitOpenError)
    expect(pool.stats().workers).toEqual({ total: 2, busy: 0, idle: 2, starting: 0 })
    pool.resize(1)
    expect(pool.stats().workers.total).toBe(1)
    await pool.close()
  })
})

// ---------------------------------------------------------------- scaler

describe('a custom Scaler', () => {
  it('changes the worker count on its intervalMs timer, clamped to [min, max]', async () => {
    const clock = createVirtualClock()
    const fake = createFakeExecutor()
    let wanted = 3
    const snapshots: PoolSnapshot[] = []
    const scaler: Scaler = {
      min: 1,
      max: 4,
      intervalMs: 1000,
      desired(snapshot) {
        snapshots.push(snapshot)
        return wanted
      },
    }
    const pool = createPool({ executor: fake.executor, scaler, clock })
    expect(pool.stats().workers.total).toBe(1)
    await clock.advance(999)
    expect(snapshots).toHaveLength(0)
    await clock.advance(1)
    expect(snapshots).toHaveLength(1)
    expect(pool.stats().workers.total).toBe(3)
    expect(pool.stats().targetWorkers).toBe(3)
    wanted = 10
    await clock.advance(1000)
    expect(pool.stats().workers.total).toBe(4)
    wanted = 0
    await clock.advance(1000)
    expect(pool.stats().workers.total).toBe(1)
    expect(snapshots).toHaveLength(3)
    expect(snapshots[1]).toMatchObject({ now: 2000, intervalMs: 1000, targetWorkers: 3, tasksPerWorker: 1, queued: 0, running: 0 })
    await pool.close()
    expect(clock.pending).toBe(0)
  })

  it('shows the scaler the queue and the running tasks in its snapshot', async () => {
    const clock = createVirtualClock()
    const fake = createFakeExecutor()
    const snapshots: PoolSnapshot[] = []
    const pool = createPool({
      executor: fake.executor,
      clock,
      scaler: { min: 1, max: 1, intervalMs: 100, desired: (s) => (snapshots.push(s), 1) },
    })
    const results = [1, 2, 3].map((x) => track(pool.run(x)))
    await clock.advance(100)
    expect(snapshots[0]).toMatchObject({ queued: 2, running: 1, targetWorkers: 1 })
    expect(snapshots[0]!.workers).toEqual({ total: 1, busy: 1, idle: 0, starting: 0 })
    expect(snapshots[0]!.utilization).toBe(1)
    await pool.destroy()
    expect(results.every((r) => r.settled)).toBe(true)
  })

  it('is asked on pressure when a task has to wait, and the new workers take the queue', async () => {
    const clock = createVirtualClock()
    const fake = createFakeExecutor()
    let asked = 0
    const pool = createPool({
      executor: fake.executor,
      clock,
      scaler: {
        min: 1,
        max: 3,
        intervalMs: 0,
        onPressure: true,
        desired: (s) => {
          asked++
          return s.running + s.queued
        },
      },
    })
    expect(clock.pending).toBe(0) // intervalMs 0: no timer
    const results = [1, 2, 3, 4].map((x) => track(pool.run(x)))
    await clock.flush()
    expect(asked).toBeGreaterThan(0)
    expect(pool.stats().workers.total).toBe(3)
    expect(fake.active()).toHaveLength(3)
    expect(pool.stats().queued).toBe(1)
    await pool.destroy()
    expect(results.every((r) => r.settled)).toBe(true)
  })

  it('never stops a busy worker when it shrinks the pool', async () => {
    const clock = createVirtualClock()
    const fake = createFakeExecutor()
    let wanted = 2
    const pool = createPool({
      executor: fake.executor,
      clock,
      concurrency: 2,
      scaler: { min: 1, max: 2, intervalMs: 100, desired: () => wanted },
    })
    expect(pool.stats().workers.total).toBe(2)
    const busy = track(pool.run(1))
    await clock.flush()
    wanted = 1
    await clock.advance(100)
    expect(pool.stats().workers.total).toBe(1)
    const busyWorker = fake.runs[0]!.worker
    expect(busyWorker.terminated).toBe(false)
    expect(fake.runs[0]!.task.signal.aborted).toBe(false)
    fake.runs[0]!.resolve(1)
    await clock.flush()
    expect(busy.value).toBe(1)
    await pool.close()
  })

  it("reports a desired() that throws on 'error' and keeps the size", async () => {
    const clock = createVirtualClock()
    const fake = createFakeExecutor()
    const boom = new Error('scaler failed')
    const pool = createPool({
      executor: fake.executor,
      clock,
      concurrency: 2,
      scaler: {
        min: 1,
        max: 4,
        intervalMs: 100,
        desired: () => {
          throw boom
        },
      },
    })
    const errors: unknown[] = []
    pool.on('error', (e) => errors.push(e))
    await clock.advance(100)
    expect(errors).toEqual([boom])
    expect(pool.stats().workers.total).toBe(2)
    await pool.close()
  })

  it('refuses min above max with a RangeError naming both', () => {
    const fake = createFakeExecutor()
    expect(() => createPool({ executor: fake.executor, scaler: { min: 5, max: 2, desired: () => 1 } })).toThrow(RangeError)
    expect(() => createPool({ executor: fake.executor, scaler: { min: 5, max: 2, desired: () => 1 } })).toThrow(/min.*max/)
  })
})

// ---------------------------------------------------------------- breaker

/** A breaker that records every call and answers from the test's functions. */
function recordingBreaker(answers: { admit?: (t: TaskInfo) => BreakerDenial | undefined; acquire?: (t: TaskInfo) => BreakerDenial | undefined } = {}) {
  const calls: string[] = []
  const breaker: Breaker = {
    admit(task) {
      calls.push(`admit:${task.id}`)
      return answers.admit?.(task)
    },
    acquire(task) {
      const denial = answers.acquire?.(task)
      calls.push(`${denial === undefined ? 'acquire' : 'denied'}:${task.id}:${task.attempt}`)
      return denial
    },
    onSuccess(task) {
      calls.push(`success:${task.id}:${task.attempt}`)
    },
    onFailure(task) {
      calls.push(`failure:${task.id}:${task.attempt}`)
    },
    onCancel(task) {
      calls.push(`cancel:${task.id}:${task.attempt}`)
    },
  }
  return { breaker, calls }
}

describe('a custom Breaker', () => {
  it('rejects a task it does not admit with CircuitOpenError carrying key and retryAt', async () => {
    const fake = createFakeExecutor()
    const { breaker } = recordingBreaker({ admit: (t) => (t.key === 'down' ? { retryAt: 5000 } : undefined) })
    const rejected: string[] = []
    const pool = createPool({
      executor: fake.executor,
      breaker,
      observers: [{ onRejected: (_pool, task, reason) => rejected.push(`${task.id}:${reason}`) }],
    })
    const error = (await pool.run(1, { key: 'down' }).catch((e: unknown) => e)) as CircuitOpenError
    expect(error).toBeInstanceOf(CircuitOpenError)
    expect(error.code).toBe('ERR_POOL_CIRCUIT_OPEN')
    expect(error.key).toBe('down')
    expect(error.retryAt).toBe(5000)
    expect(fake.runs).toHaveLength(0)
    expect(rejected).toEqual(['1:circuit-open'])
    expect(pool.stats().counters.rejected).toBe(1)
    await pool.close()
  })

  it('holds a task it does not admit with hold: true and runs it after retryAt', async () => {
    const clock = createVirtualClock()
    const fake = createFakeExecutor()
    let open = true
    const { breaker, calls } = recordingBreaker({ admit: () => (open ? { retryAt: 300, hold: true } : undefined) })
    const pool = createPool({ executor: fake.executor, breaker, clock })
    const result = track(pool.run(1, { key: 'k' }))
    open = false
    await clock.advance(299)
    expect(fake.runs).toHaveLength(0)
    expect(pool.stats().delayed).toBe(1)
    expect(result.settled).toBe(false)
    await clock.advance(1)
    expect(fake.runs).toHaveLength(1)
    expect(calls).toEqual(['admit:1', 'acquire:1:1'])
    fake.runs[0]!.resolve(7)
    await clock.flush()
    expect(result.value).toBe(7)
    expect(calls).toEqual(['admit:1', 'acquire:1:1', 'success:1:1'])
    await pool.close()
  })

  it('rejects a task refused at acquire with CircuitOpenError, and holds it when hold is set', async () => {
    const clock = createVirtualClock()
    const fake = createFakeExecutor()
    let acquireCalls = 0
    const { breaker } = recordingBreaker({
      acquire: (t) => {
        acquireCalls++
        if (t.id === 1) return { retryAt: 50 }
        if (t.id === 2 && acquireCalls <= 2) return { retryAt: 50, hold: true }
        return undefined
      },
    })
    const pool = createPool({ executor: fake.executor, breaker, clock })
    const refused = track(pool.run(1, { key: 'a' }))
    const held = track(pool.run(2, { key: 'a' }))
    await clock.flush()
    expect(refused.error).toBeInstanceOf(CircuitOpenError)
    expect((refused.error as CircuitOpenError).retryAt).toBe(50)
    expect(held.settled).toBe(false)
    expect(fake.runs).toHaveLength(0)
    await clock.advance(50)
    expect(fake.runs).toHaveLength(1)
    fake.runs[0]!.resolve(2)
    await clock.flush()
    expect(held.value).toBe(2)
    await pool.close()
  })

  it('hears back exactly once per acquired attempt: success, failure, timeout, cancel, retry and destroy', async () => {
    const clock = createVirtualClock()
    const fake = createFakeExecutor()
    const { breaker, calls } = recordingBreaker()
    const pool = createPool({
      executor: fake.executor,
      breaker,
      clock,
      concurrency: 6,
      retry: { attempts: 2, backoff: { initialMs: 10, jitter: 0 }, retryIf: (e) => (e as Error).message === 'again' },
    })
    const controller = new AbortController()
    const outcomes = [
      track(pool.run(1)), // succeeds
      track(pool.run(2)), // fails
      track(pool.run(3, { timeout: 20 })), // times out
      track(pool.run(4, { signal: controller.signal })), // cancelled while running
      track(pool.run(5)), // fails, retried, succeeds
      track(pool.run(6)), // running at destroy
    ]
    await clock.flush()
    const run = (input: number) => fake.runs.find((r) => r.input === input && !r.task.signal.aborted && r.worker.running.has(r))!
    run(1).resolve(1)
    run(2).reject(new Error('no'))
    controller.abort(new Error('stop'))
    run(5).reject(new Error('again'))
    await clock.advance(10)
    run(5).resolve(5)
    await clock.advance(10)
    await pool.destroy()
    expect(outcomes.every((o) => o.settled)).toBe(true)
    const acquired = calls.filter((c) => c.startsWith('acquire:')).map((c) => c.slice('acquire:'.length))
    const reported = calls.filter((c) => /^(success|failure|cancel):/.test(c)).map((c) => c.slice(c.indexOf(':') + 1))
    expect(acquired.sort()).toEqual(['1:1', '2:1', '3:1', '4:1', '5:1', '5:2', '6:1'])
    expect(reported.sort()).toEqual(acquired.sort())
    expect(calls).toContain('success:1:1')
    expect(calls).toContain('failure:2:1')
    expect(calls).toContain('failure:3:1')
    expect(calls).toContain('cancel:4:1')
    expect(calls).toContain('failure:5:1')
    expect(calls).toContain('success:5:2')
    expect(calls).toContain('cancel:6:1')
    expect(outcomes[2]!.error).toBeInstanceOf(TaskTimeoutError)
  })

  it('is never told about a task that left the queue before acquiring', async () => {
    const fake = createFakeExecutor()
    const { breaker, calls } = recordingBreaker()
    const pool = createPool({ executor: fake.executor, breaker, concurrency: 1 })
    const first = track(pool.run(1))
    const controller = new AbortController()
    const second = track(pool.run(2, { signal: controller.signal }))
    await tick()
    controller.abort()
    fake.runs[0]!.resolve(1)
    await tick()
    expect(first.value).toBe(1)
    expect(second.ok).toBe(false)
    expect(calls).toEqual(['admit:1', 'acquire:1:1', 'admit:2', 'success:1:1'])
    await pool.close()
  })
})

// ---------------------------------------------------------------- observers

type HookCall = [hook: string, ...args: unknown[]]

/** An observer that records every hook with a copy of the task it saw. */
function recordingObserver() {
  const calls: HookCall[] = []
  const snap = (t: TaskInfo) => ({ id: t.id, attempt: t.attempt })
  const observer: Required<Omit<PoolObserver, 'onAttached'>> = {
    onSubmitted: (pool, task) => calls.push(['onSubmitted', pool, snap(task)]),
    onStarted: (pool, task, worker) => calls.push(['onStarted', pool, snap(task), worker.id]),
    onSettled: (pool, task, outcome, error) => calls.push(['onSettled', pool, snap(task), outcome, error]),
    onRejected: (pool, task, reason, error) => calls.push(['onRejected', pool, snap(task), reason, error]),
    onRetried: (pool, task, error, delayMs) => calls.push(['onRetried', pool, snap(task), error, delayMs]),
    onDeadLettered: (pool, task, error) => calls.push(['onDeadLettered', pool, snap(task), error]),
    onWorkerStarted: (pool, worker) => calls.push(['onWorkerStarted', pool, worker.id]),
    onWorkerExited: (pool, worker, reason, error) => calls.push(['onWorkerExited', pool, worker.id, reason, error]),
  }
  return { observer, calls, hooks: () => calls.map((c) => c[0]) }
}

describe('PoolObserver hooks', () => {
  it('give onRetried and onSettled the end of the attempt in task.endedAt, so its run time needs no clock read', async () => {
    const clock = createVirtualClock()
    const seen: [string, number, number][] = []
    const observer: PoolObserver = {
      onRetried: (_pool, task) => void seen.push(['retried', task.startedAt, task.endedAt!]),
      onSettled: (_pool, task) => void seen.push(['settled', task.startedAt, task.endedAt!]),
    }
    let calls = 0
    const pool = createPool({
      handler: async () => {
        calls++
        await new Promise<void>((resolve) => clock.setTimeout(() => resolve(), calls === 1 ? 30 : 70))
        if (calls === 1) throw new Error('first try fails')
        return 'ok'
      },
      clock,
      observers: [observer],
      retry: { attempts: 2, backoff: { initialMs: 10, jitter: 0 } },
    })
    const result = pool.run(1)
    await clock.advance(30)
    await clock.advance(10)
    await clock.advance(70)
    await expect(result).resolves.toBe('ok')
    // First attempt: 0 to 30; the retry starts after a 10 ms backoff and runs 70 ms.
    expect(seen).toEqual([
      ['retried', 0, 30],
      ['settled', 40, 110],
    ])
    await pool.close()
  })

  it('call onAttached once per pool, before any worker event, with a live view of the pool', async () => {
    const fake = createFakeExecutor()
    const seen: { pool: string; view: PoolView }[] = []
    const order: string[] = []
    const observer: PoolObserver = {
      onAttached: (pool, view) => {
        order.push('attached')
        seen.push({ pool, view })
      },
      onWorkerStarted: () => void order.push('worker'),
    }
    const a = createPool({ executor: fake.executor, observers: [observer], name: 'a', concurrency: 2 })
    const b = createPool({ handler: (x: number) => x, observers: [observer], name: 'b' })
    expect(seen.map((s) => s.pool)).toEqual(['a', 'b'])
    expect(order.slice(0, 2)).toEqual(['attached', 'worker'])
    const view = seen[0]!.view
    expect(view.name).toBe('a')
    expect(view.state).toBe('open')
    const running = a.run(1)
    await tick()
    // The view is live: it reads the pool now, not when it was attached.
    expect(view.stats().running).toBe(1)
    fake.runs[0]!.resolve(1)
    await running
    await a.close()
    await b.close()
    expect(view.state).toBe('closed')
    expect(view.stats().counters.completed).toBe(1)
  })

  it('fire once per transition of a task that completes, with the pool name, task and worker', async () => {
    const fake = createFakeExecutor()
    const { observer, calls } = recordingObserver()
    const pool = createPool({ executor: fake.executor, observers: [observer], name: 'obs' })
    const result = pool.run(1)
    await tick()
    fake.runs[0]!.resolve(1)
    expect(await result).toBe(1)
    await pool.close()
    expect(calls).toEqual([
      ['onWorkerStarted', 'obs', 1],
      ['onSubmitted', 'obs', { id: 1, attempt: 1 }],
      ['onStarted', 'obs', { id: 1, attempt: 1 }, 1],
      ['onSettled', 'obs', { id: 1, attempt: 1 }, 'completed', undefined],
      ['onWorkerExited', 'obs', 1, 'closed', undefined],
    ])
  })

  it('report a failure, each retry with its delay, and the dead-lettering, each once', async () => {
    const clock = createVirtualClock()
    const fake = createFakeExecutor()
    const { observer, calls, hooks } = recordingObserver()
    const letters: unknown[] = []
    const pool = createPool({
      executor: fake.executor,
      clock,
      observers: [observer],
      retry: { attempts: 2, backoff: { initialMs: 25, jitter: 0 } },
      deadLetter: { put: (l) => void letters.push(l) },
    })
    const result = track(pool.run(1))
    await clock.flush()
    const e1 = new Error('first')
    const e2 = new Error('second')
    fake.runs[0]!.reject(e1)
    await clock.advance(25)
    fake.runs[1]!.reject(e2)
    await clock.flush()
    expect(result.error).toBe(e2)
    expect(hooks().filter((h) => h !== 'onWorkerStarted')).toEqual(['onSubmitted', 'onStarted', 'onRetried', 'onStarted', 'onDeadLettered', 'onSettled'])
    expect(calls.find((c) => c[0] === 'onRetried')).toEqual(['onRetried', 'pool', { id: 1, attempt: 1 }, e1, 25])
    expect(calls.find((c) => c[0] === 'onDeadLettered')).toEqual(['onDeadLettered', 'pool', { id: 1, attempt: 2 }, e2])
    expect(calls.find((c) => c[0] === 'onSettled')).toEqual(['onSettled', 'pool', { id: 1, attempt: 2 }, 'failed', e2])
    expect(letters).toHaveLength(1)
    await pool.close()
  })

  it('report a refused task through onRejected only, never onSettled', async () => {
    const fake = createFakeExecutor()
    const { observer, calls, hooks } = recordingObserver()
    const pool = createPool({ executor: fake.executor, observers: [observer], maxQueue: 0 })
    void pool.run(1).catch(() => {})
    await expect(pool.run(2)).rejects.toThrow()
    const rejected = calls.filter((c) => c[0] === 'onRejected')
    expect(rejected).toHaveLength(1)
    expect(rejected[0]!.slice(2, 4)).toEqual([{ id: 2, attempt: 1 }, 'queue-full'])
    expect(hooks().filter((h) => h === 'onSettled')).toHaveLength(0)
    await pool.destroy()
  })

  it('end each submitted task in exactly one onSettled or onRejected', async () => {
    const clock = createVirtualClock()
    const fake = createFakeExecutor()
    const { observer, calls } = recordingObserver()
    const pool = createPool({ executor: fake.executor, observers: [observer], clock, concurrency: 2, maxQueue: 2 })
    const controller = new AbortController()
    const all = [
      pool.run(1),
      pool.run(2, { timeout: 5 }),
      pool.run(3, { signal: controller.signal }),
      pool.run(4),
      pool.run(5), // queue full
    ].map((p) => track(p))
    controller.abort()
    fake.runs[0]!.resolve(1)
    await clock.advance(5)
    await pool.destroy()
    expect(all.every((t) => t.settled)).toBe(true)
    const endings = calls.filter((c) => c[0] === 'onSettled' || c[0] === 'onRejected').map((c) => (c[2] as { id: number }).id)
    expect(endings.sort()).toEqual([1, 2, 3, 4, 5])
    const submitted = calls.filter((c) => c[0] === 'onSubmitted')
    expect(submitted).toHaveLength(5)
  })

  it("that throw do not break the pool: the error goes to the 'error' event and every observer still hears", async () => {
    const fake = createFakeExecutor()
    const boom = new Error('observer failed')
    const { observer, hooks } = recordingObserver()
    const thrower: PoolObserver = {
      onSubmitted: () => {
        throw boom
      },
      onStarted: () => {
        throw boom
      },
      onSettled: () => {
        throw boom
      },
    }
    const pool = createPool({ executor: fake.executor, observers: [thrower, observer] })
    const errors: unknown[] = []
    pool.on('error', (e) => errors.push(e))
    const result = pool.run(1)
    await tick()
    fake.runs[0]!.resolve(3)
    expect(await result).toBe(3)
    expect(errors).toEqual([boom, boom, boom])
    expect(hooks()).toEqual(['onWorkerStarted', 'onSubmitted', 'onStarted', 'onSettled'])
    expect(pool.stats().counters.completed).toBe(1)
    await pool.close()
  })

  it('are called only for the hooks an observer has', async () => {
    const fake = createFakeExecutor()
    const settled: string[] = []
    const pool = createPool({ executor: fake.executor, observers: [{ onSettled: (_p, t, outcome) => settled.push(`${t.id}:${outcome}`) }] })
    const result = pool.run(1)
    await tick()
    fake.runs[0]!.resolve(1)
    await result
    expect(settled).toEqual(['1:completed'])
    await pool.close()
  })

  it('see onStarted with the worker info: running and capacity', async () => {
    const fake = createFakeExecutor({ tasksPerWorker: 2 })
    const seen: Pick<WorkerInfo, 'id' | 'running' | 'capacity'>[] = []
    const pool = createPool({
      executor: fake.executor,
      observers: [{ onStarted: (_p, _t, w) => seen.push({ id: w.id, running: w.running, capacity: w.capacity }) }],
    })
    const results = [pool.run(1), pool.run(2)]
    await tick()
    expect(seen).toEqual([
      { id: 1, running: 1, capacity: 2 },
      { id: 1, running: 2, capacity: 2 },
    ])
    fake.active().forEach((r) => r.resolve(r.input))
    await Promise.all(results)
    await pool.close()
  })
})

// ---------------------------------------------------------------- queue

describe('a custom TaskQueue', () => {
  it('plugs in via `queue`: tasks go through its push and shift, in its order', async () => {
    const fake = createFakeExecutor()
    const queue = new ArrayQueue<TaskInfo>()
    const pool = createPool({ executor: fake.executor, queue, concurrency: 1, paused: true })
    // Priorities are the queue's business: this one is a plain FIFO.
    const results = [pool.run(1, { priority: 0 }), pool.run(2, { priority: 3 }), pool.run(3, { priority: 1 })]
    expect(queue.size).toBe(3)
    expect(pool.stats().queued).toBe(3)
    pool.resume()
    for (let i = 0; i < 3; i++) {
      await tick()
      fake.runs[i]!.resolve(fake.runs[i]!.input)
    }
    expect(await Promise.all(results)).toEqual([1, 2, 3])
    expect(fake.runs.map((r) => r.input)).toEqual([1, 2, 3])
    expect(queue.calls.filter((c) => c.startsWith('push'))).toEqual(['push:1', 'push:2', 'push:3'])
    expect(queue.calls.filter((c) => c.startsWith('shift'))).toEqual(['shift:1', 'shift:2', 'shift:3'])
    await pool.close()
  })

  it('is asked to remove a queued task whose signal aborts', async () => {
    const fake = createFakeExecutor()
    const queue = new ArrayQueue<TaskInfo>()
    const pool = createPool({ executor: fake.executor, queue, concurrency: 1 })
    void pool.run(1).catch(() => {})
    const controller = new AbortController()
    const second = track(pool.run(2, { signal: controller.signal }))
    controller.abort(new Error('changed my mind'))
    await tick()
    expect(queue.calls).toContain('remove:2')
    expect(queue.size).toBe(0)
    expect((second.error as Error).message).toBe('changed my mind')
    await pool.destroy()
  })

  it("hands close() what it held: a timed-out close lists the queue's tasks as unstarted", async () => {
    const clock = createVirtualClock()
    const fake = createFakeExecutor()
    const queue = new ArrayQueue<TaskInfo>()
    const pool = createPool({ executor: fake.executor, queue, concurrency: 1, clock })
    const all = [1, 2, 3].map((x) => track(pool.run(x)))
    const closing = track(pool.close({ timeout: 10 }))
    await clock.advance(10)
    expect(closing.value!.unstarted.map((t) => t.id)).toEqual([2, 3])
    expect(queue.size).toBe(0)
    expect(all.every((t) => t.settled)).toBe(true)
  })

  it('rejects a task whose push throws with that error, and keeps serving', async () => {
    const fake = createFakeExecutor()
    const queue = new ArrayQueue<TaskInfo>()
    const refusal = new Error('per-key limit')
    const push = queue.push.bind(queue)
    queue.push = (task) => {
      if (task.key === 'full') throw refusal
      push(task)
    }
    const pool = createPool({ executor: fake.executor, queue, concurrency: 1 })
    const first = pool.run(1)
    const refused = pool.run(2, { key: 'full' })
    await expect(refused).rejects.toBe(refusal)
    const third = pool.run(3)
    await tick()
    fake.runs[0]!.resolve(1)
    await tick()
    fake.runs[1]!.resolve(3)
    expect(await Promise.all([first, third])).toEqual([1, 3])
    await pool.close()
  })
})

// ---------------------------------------------------------------- the callback path (WorkerHandle.send)

describe('an executor whose workers implement send()', () => {
  interface Sent {
    readonly input: number
    readonly task: WorkerTask
    readonly done: TaskDone
  }

  function sendingExecutor(behaviour: (sent: Sent) => void = () => {}) {
    const sent: Sent[] = []
    let runCalls = 0
    const executor: Executor<number, number> = {
      kind: 'fake-send',
      tasksPerWorker: 2,
      spawn: ({ workerId }) => ({
        id: workerId,
        run: () => {
          runCalls++
          return Promise.reject(new Error('run() must not be called when send() exists'))
        },
        send(input, task, done) {
          const s = { input, task, done }
          sent.push(s)
          behaviour(s)
        },
        terminate: () => Promise.resolve(),
      }),
    }
    return { executor, sent, runCalls: () => runCalls }
  }

  it('uses send() instead of run() and settles each task with what done() reports', async () => {
    const { executor, sent, runCalls } = sendingExecutor()
    const pool = createPool({ executor, concurrency: 2 })
    await pool.ready()
    const a = pool.run(1)
    const b = pool.run(2)
    const c = pool.run(3)
    await Promise.resolve()
    expect(sent.map((s) => s.input)).toEqual([1, 2, 3])
    sent[0]!.done(sent[0]!.task, 'ok', 10)
    sent[1]!.done(sent[1]!.task, 'failed', new RangeError('bad'))
    sent[2]!.done(sent[2]!.task, 'ok', 30)
    await expect(a).resolves.toBe(10)
    await expect(b).rejects.toThrow(RangeError)
    await expect(c).resolves.toBe(30)
    expect(runCalls()).toBe(0)
    expect(pool.stats().counters).toMatchObject({ completed: 2, failed: 1 })
    await pool.close()
  })

  it('frees the slot on done(), so the next queued task is sent to the same worker', async () => {
    const { executor, sent } = sendingExecutor()
    const pool = createPool({ executor, concurrency: 1 })
    await pool.ready()
    const results = [1, 2, 3].map((i) => pool.run(i))
    await Promise.resolve()
    // tasksPerWorker is 2: two are sent, the third waits for a slot.
    expect(sent).toHaveLength(2)
    sent[0]!.done(sent[0]!.task, 'ok', 1)
    await Promise.resolve()
    expect(sent).toHaveLength(3)
    expect(sent[2]!.task.id).not.toBe(sent[0]!.task.id)
    sent[1]!.done(sent[1]!.task, 'ok', 2)
    sent[2]!.done(sent[2]!.task, 'ok', 3)
    await expect(Promise.all(results)).resolves.toEqual([1, 2, 3])
    await pool.close()
  })

  it('fails the task, not the pool, when send() throws', async () => {
    const { executor } = sendingExecutor((s) => {
      if (s.input === 2) throw new TypeError('cannot send 2')
      queueMicrotask(() => s.done(s.task, 'ok', s.input))
    })
    const pool = createPool({ executor, concurrency: 1 })
    await expect(pool.run(2)).rejects.toThrow('cannot send 2')
    await expect(pool.run(5)).resolves.toBe(5)
    await pool.close()
  })

  it("queues again, without counting an attempt, a task whose done() reports 'unstarted'", async () => {
    const { executor, sent } = sendingExecutor()
    const pool = createPool({ executor, concurrency: 1 })
    await pool.ready()
    const first = pool.run(1)
    const second = pool.run(2)
    await Promise.resolve()
    expect(sent).toHaveLength(2)
    sent[1]!.done(sent[1]!.task, 'unstarted', new WorkerExitError({ workerId: 1, taskStarted: false }))
    await Promise.resolve()
    expect(sent.map((s) => s.input)).toEqual([1, 2, 2])
    expect(sent[2]!.task.attempt).toBe(1)
    sent[0]!.done(sent[0]!.task, 'ok', 10)
    sent[2]!.done(sent[2]!.task, 'ok', 20)
    await expect(Promise.all([first, second])).resolves.toEqual([10, 20])
    expect(pool.stats().counters).toMatchObject({ completed: 2, failed: 0, retried: 0 })
    await pool.close()
  })

  it("fails a task whose done() reports 'failed', even with a WorkerExitError saying it never started: the outcome decides", async () => {
    const { executor, sent } = sendingExecutor()
    const pool = createPool({ executor, concurrency: 1 })
    await pool.ready()
    const result = pool.run(1)
    await Promise.resolve()
    const error = new WorkerExitError({ workerId: 1, taskStarted: false })
    sent[0]!.done(sent[0]!.task, 'failed', error)
    await expect(result).rejects.toBe(error)
    expect(sent).toHaveLength(1)
    expect(pool.stats().counters).toMatchObject({ failed: 1 })
    await pool.close()
  })

  it('ignores a late done() for an attempt that already timed out, and retries on a fresh context', async () => {
    const clock = createVirtualClock()
    const { executor, sent } = sendingExecutor()
    const pool = createPool({ executor, concurrency: 1, clock, taskTimeout: 100, retry: { attempts: 2, backoff: { initialMs: 0, jitter: 0 } } })
    await pool.ready()
    const result = pool.run(7)
    await Promise.resolve()
    expect(sent).toHaveLength(1)
    const first = sent[0]!
    await clock.advance(100)
    // The pool does not free the slot until the worker reports the first attempt over.
    first.done(first.task, 'ok', 'late')
    await clock.advance(0)
    expect(sent).toHaveLength(2)
    const second = sent[1]!
    expect(second.task).not.toBe(first.task)
    expect(second.task.attempt).toBe(2)
    second.done(second.task, 'ok', 70)
    await expect(result).resolves.toBe(70)
    await pool.close()
  })
})

// ---------------------------------------------------------------- SpawnContext.clock

describe('SpawnContext.clock', () => {
  it("hands each worker the pool's clock, so an executor's timers run on it", async () => {
    const clock = createVirtualClock()
    const fake = createFakeExecutor({ tasksPerWorker: 1 })
    const pool = createPool({ executor: fake.executor, concurrency: 2, clock })
    await pool.ready()
    expect(fake.workers.map((w) => w.context.clock)).toEqual([clock, clock])
    expect(fake.workers[0]!.context.clock).toBe(clock)
    await pool.close()
    const plain = createFakeExecutor({ tasksPerWorker: 1 })
    const defaults = createPool({ executor: plain.executor, concurrency: 1 })
    await defaults.ready()
    expect(plain.workers[0]!.context.clock).toBe(systemClock)
    await defaults.close()
  })
})

// ---------------------------------------------------------------- SpawnContext.setCapacity

describe('SpawnContext.setCapacity', () => {
  it('lowers how many tasks the pool hands one worker, and raising it again dispatches queued tasks at once', async () => {
    const fake = createFakeExecutor({ tasksPerWorker: 4 })
    const pool = createPool({ executor: fake.executor, concurrency: 1 })
    await pool.ready()
    const worker = fake.workers[0]!
    worker.context.setCapacity(2)
    const results = [1, 2, 3, 4, 5].map((i) => pool.run(i))
    await tick()
    expect(worker.running.size).toBe(2)
    expect(pool.stats().perWorker[0]).toMatchObject({ capacity: 2, running: 2 })
    worker.context.setCapacity(4)
    await tick()
    expect(worker.running.size).toBe(4)
    for (const run of [...worker.running]) run.resolve(run.input)
    await tick()
    for (const run of [...worker.running]) run.resolve(run.input)
    await expect(Promise.all(results)).resolves.toEqual([1, 2, 3, 4, 5])
    await pool.close()
  })

  it('takes nothing back when lowered below what the worker holds: no new task until it is under the new limit', async () => {
    const fake = createFakeExecutor({ tasksPerWorker: 4 })
    const pool = createPool({ executor: fake.executor, concurrency: 1 })
    await pool.ready()
    const worker = fake.workers[0]!
    const results = [1, 2, 3, 4, 5, 6].map((i) => pool.run(i))
    await tick()
    expect(worker.running.size).toBe(4)
    worker.context.setCapacity(1)
    const [a, b, c] = [...worker.running]
    a!.resolve(a!.input)
    b!.resolve(b!.input)
    await tick()
    // Two left of four, over the new limit of one: nothing new was sent.
    expect(worker.running.size).toBe(2)
    c!.resolve(c!.input)
    await tick()
    expect(worker.running.size).toBe(1)
    const [d] = [...worker.running]
    d!.resolve(d!.input)
    await tick()
    // Under the limit now: one at a time.
    expect(worker.running.size).toBe(1)
    expect(pool.stats().queued).toBe(1)
    for (let i = 0; i < 2; i++) {
      for (const run of [...worker.running]) run.resolve(run.input)
      await tick()
    }
    await expect(Promise.all(results)).resolves.toEqual([1, 2, 3, 4, 5, 6])
    await pool.close()
  })

  it('clamps the capacity to 1..tasksPerWorker', async () => {
    const fake = createFakeExecutor({ tasksPerWorker: 3 })
    const pool = createPool({ executor: fake.executor, concurrency: 1 })
    await pool.ready()
    const context = fake.workers[0]!.context
    context.setCapacity(0)
    expect(pool.stats().perWorker[0]!.capacity).toBe(1)
    context.setCapacity(Number.NaN)
    expect(pool.stats().perWorker[0]!.capacity).toBe(1)
    context.setCapacity(99)
    expect(pool.stats().perWorker[0]!.capacity).toBe(3)
    context.setCapacity(2.7)
    expect(pool.stats().perWorker[0]!.capacity).toBe(2)
    await pool.close()
  })
})

// ---------------------------------------------------------------- a worker that answers an abort at once

describe('an executor that reports an aborted task from inside the abort', () => {
  // The node adapter terminates a worker whose task is aborted and fails what it
  // held, synchronously, from inside the signal's abort event. Found by the
  // fault-injection run: the attempt was counted twice (failed and timed out),
  // `running` went below zero and close() never resolved.
  function answeringExecutor() {
    const executor: Executor<number, number> = {
      kind: 'fake-answers-abort',
      tasksPerWorker: 4,
      spawn: ({ workerId }) => ({
        id: workerId,
        run: () => Promise.reject(new Error('run() must not be called when send() exists')),
        send(input, task, done) {
          if (input >= 0) {
            queueMicrotask(() => done(task, 'ok', input))
            return
          }
          // A negative input never finishes; on abort the worker answers at once.
          task.signal.addEventListener('abort', () => done(task, 'failed', new WorkerExitError({ workerId, exitCode: 1 })), { once: true })
        },
        terminate: () => Promise.resolve(),
      }),
    }
    return executor
  }

  it.each([
    ['times out', { taskTimeout: 100 }, 'timedOut'],
    ['is aborted by its caller', {}, 'cancelled'],
  ] as const)('counts a task that %s once, keeps running at zero, and closes', async (_what, options, counter) => {
    const clock = createVirtualClock()
    const pool = createPool({ executor: answeringExecutor(), concurrency: 1, clock, ...options })
    await pool.ready()
    const controller = new AbortController()
    const hanging = pool.run(-1, { signal: controller.signal }).then(
      () => 'resolved',
      (error: unknown) => error,
    )
    const others = [1, 2].map((i) => pool.run(i))
    await clock.flush()
    if (counter === 'cancelled') controller.abort(new Error('caller gave up'))
    else await clock.advance(100)
    const error = await hanging
    if (counter === 'cancelled') expect(error).toEqual(new Error('caller gave up'))
    else expect(error).toBeInstanceOf(TaskTimeoutError)
    await expect(Promise.all(others)).resolves.toEqual([1, 2])
    const { counters, running } = pool.stats()
    expect(running).toBe(0)
    expect(counters).toMatchObject({ submitted: 3, completed: 2, failed: 0, [counter]: 1 })
    expect(counters.completed + counters.failed + counters.cancelled + counters.timedOut + counters.rejected).toBe(3)
    await expect(pool.close()).resolves.toMatchObject({ unstarted: [], aborted: [] })
  })

  it('lists a task aborted by destroy() once, as aborted, and counts it once', async () => {
    const clock = createVirtualClock()
    const settled: string[] = []
    const pool = createPool({ executor: answeringExecutor(), concurrency: 1, clock, observers: [{ onSettled: (_p, _t, outcome) => void settled.push(outcome) }] })
    await pool.ready()
    const hanging = pool.run(-1)
    await clock.flush()
    const report = await pool.destroy()
    await expect(hanging).rejects.toBeInstanceOf(PoolClosedError)
    expect(report.aborted).toHaveLength(1)
    expect(settled).toEqual(['cancelled'])
    expect(pool.stats().counters).toMatchObject({ cancelled: 1, failed: 0 })
    expect(pool.stats().running).toBe(0)
  })
})
