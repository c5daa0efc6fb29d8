// The main side of one worker (RemoteWorker) over a fake channel: the test
// plays the worker (ready, results, errors, acks, pongs, exits, silence) and
// moves the pool's virtual clock, so every timer runs without waiting.
import { describe, expect, it } from 'vitest'
import { createVirtualClock, WorkerExitError } from '../src/index.js'
import { PROTOCOL_VERSION, RESULT_FRAME, RUN_FRAME, RUN_SLOTS, serializeError } from '../src/worker.js'
import type { AttemptOutcome, TaskDone, TransferList, VirtualClock, WorkerExit, WorkerTask } from '../src/index.js'
import type { MainMessage, MainPost, WorkerPost } from '../src/worker.js'
import type { Channel, ChannelExit, RemoteWorkerOptions } from '../src/remote.js'
import { RemoteWorker } from '../src/remote/remote-worker.js'
import { track } from './support.js'

/** A channel whose worker side the test plays. Posts are cloned, as postMessage does, so what cannot be cloned throws. */
class FakeChannel implements Channel {
  readonly transfers = true
  /** Everything the main side posted, in order. */
  readonly posts: MainPost[] = []
  kills = 0
  exited = false
  private messageListener: ((post: WorkerPost) => void) | undefined
  private exitListener: ((exit: ChannelExit) => void) | undefined
  private errorListener: ((error: unknown) => void) | undefined

  post(post: MainPost, _transfer?: TransferList): void {
    if (this.exited) throw new Error('posted to a worker that exited')
    structuredClone(post)
    this.posts.push(post)
  }
  onMessage(listener: (post: WorkerPost) => void): void {
    this.messageListener = listener
  }
  onError(listener: (error: unknown) => void): void {
    this.errorListener = listener
  }
  onExit(listener: (exit: ChannelExit) => void): void {
    this.exitListener = listener
  }
  /** Like a thread's terminate(): the exit comes on a later microtask, with code 1. */
  kill(): Promise<void> {
    this.kills++
    return Promise.resolve().then(() => this.exit({ exitCode: 1 }))
  }

  // ---- the worker side

  send(post: unknown): void {
    this.messageListener!(post as WorkerPost)
  }
  ready(cooperative: string[] = [], protocol = PROTOCOL_VERSION): void {
    this.send({ type: 'ready', protocol, functions: ['default'], cooperative })
  }
  /** One result frame: `[id, ok, value]` per task; errors are serialized as a worker would. */
  results(results: [id: number, ok: boolean, value: unknown][], took?: number, heapUsed?: number, postedAt?: number): void {
    const flat = results.flatMap(([id, ok, value]) => [id, ok, ok ? value : serializeError(value)])
    this.send([RESULT_FRAME, heapUsed, took, postedAt, ...flat])
  }
  error(error: unknown): void {
    this.errorListener!(error)
  }
  exit(exit: ChannelExit): void {
    if (this.exited) return
    this.exited = true
    this.exitListener!(exit)
  }

  // ---- what the main side posted

  /** The run ids posted, in order, across frames. */
  runIds(): number[] {
    const ids: number[] = []
    for (const post of this.posts) {
      if (!Array.isArray(post) || post[0] !== RUN_FRAME) continue
      for (let i = 1; i < post.length; i += RUN_SLOTS) ids.push(post[i] as number)
    }
    return ids
  }
  /** The messages of one type posted, alone or in lists. */
  messages<T extends MainMessage['type']>(type: T): Extract<MainMessage, { type: T }>[] {
    const found: MainMessage[] = []
    for (const post of this.posts) {
      if (Array.isArray(post) && post[0] === RUN_FRAME) continue
      for (const m of (Array.isArray(post) ? post : [post]) as MainMessage[]) if (m.type === type) found.push(m)
    }
    return found as Extract<MainMessage, { type: T }>[]
  }
}

interface FakeTask extends WorkerTask {
  abort(reason: unknown): void
}

function fakeTask(id: number, name?: string): FakeTask {
  let listener: ((reason: unknown, task: WorkerTask) => void) | undefined
  const task: FakeTask = {
    id,
    attempt: 1,
    name,
    key: undefined,
    transfer: undefined,
    signal: new AbortController().signal,
    onAbort(l) {
      listener = l
    },
    abort(reason) {
      listener?.(reason, task)
    },
  }
  return task
}

const BASE: RemoteWorkerOptions = {
  concurrentTasksPerWorker: 1,
  prefetch: 4,
  prefetchMs: Infinity,
  maxTasksPerWorker: Infinity,
  maxHeapBytes: Infinity,
  unresponsiveTimeout: Infinity,
  abortTimeout: 100,
  closeTimeout: 5000,
  startTimeout: 30_000,
  errorClasses: undefined,
}

interface Settled {
  readonly task: WorkerTask
  readonly outcome: AttemptOutcome
  readonly value: unknown
}

/** A RemoteWorker over a fake channel, on a virtual clock, with a SpawnContext that records what the worker tells the pool. */
function spawn(options: Partial<RemoteWorkerOptions> = {}) {
  const clock: VirtualClock = createVirtualClock()
  const channel = new FakeChannel()
  const exits: WorkerExit[] = []
  const capacities: number[] = []
  const worker = new RemoteWorker(channel, { workerId: 1, clock, onExit: (exit) => exits.push(exit), setCapacity: (tasks) => capacities.push(tasks) }, { ...BASE, ...options })
  const settled: Settled[] = []
  const done: TaskDone = (task, outcome, value) => void settled.push({ task, outcome, value })
  const ready = track(worker.ready)
  const gone = track(worker.gone)
  /** Sends tasks with the ids given (names from `name`), and lets the frame go out. */
  const send = async (ids: number[], name?: string): Promise<FakeTask[]> => {
    const tasks = ids.map((id) => fakeTask(id, name))
    for (const task of tasks) worker.send(task.id * 10, task, done)
    await clock.flush()
    return tasks
  }
  /** The outcome reported for each task, by task id. */
  const outcomes = (): Record<number, AttemptOutcome> => Object.fromEntries(settled.map((s) => [s.task.id, s.outcome]))
  const valueOf = (id: number): unknown => settled.find((s) => s.task.id === id)?.value
  return { clock, channel, worker, exits, capacities, settled, done, ready, gone, send, outcomes, valueOf }
}

/** Spawned and ready. */
async function readyWorker(options: Partial<RemoteWorkerOptions> = {}, cooperative: string[] = []) {
  const w = spawn(options)
  w.channel.ready(cooperative)
  await w.clock.flush()
  return w
}

// ---------------------------------------------------------------- starting

describe('RemoteWorker: starting', () => {
  it('gives the handle the capabilities the worker reported ready with (its setup returned them), none when it reported none', async () => {
    const w = spawn()
    w.channel.send({ type: 'ready', protocol: PROTOCOL_VERSION, functions: ['default'], cooperative: [], capabilities: ['gpu'] })
    await w.clock.flush()
    expect(w.ready.status).toBe('fulfilled')
    expect(w.worker.capabilities).toEqual(['gpu'])
    const plain = await readyWorker()
    expect(plain.worker.capabilities).toBeUndefined()
  })

  it('treats a ready message whose capabilities are not strings as malformed: the start fails', async () => {
    const w = spawn()
    w.channel.send({ type: 'ready', protocol: PROTOCOL_VERSION, functions: ['default'], cooperative: [], capabilities: [1] })
    await w.clock.flush()
    expect(w.ready.status).toBe('rejected')
    expect((w.ready.error as Error).message).toMatch(/sent a malformed message \(a ready message whose capabilities are /)
  })

  it('resolves ready when the worker reports ready, configures it, and clears the start timer', async () => {
    const w = spawn({ concurrentTasksPerWorker: 2, maxHeapBytes: 1000 })
    expect(w.clock.pending).toBe(1)
    w.channel.ready()
    await w.clock.flush()
    expect(w.ready.status).toBe('fulfilled')
    expect(w.ready.value).toBe(w.worker)
    expect(w.channel.messages('configure')).toEqual([{ type: 'configure', concurrency: 2, reportHeap: true, flushEvery: 3 }])
    expect(w.clock.pending).toBe(0)
  })

  it('keeps the process alive with its start timer while the worker starts (ready() waits on it)', () => {
    const w = spawn()
    expect(w.clock.keepingAlive).toBe(1)
  })

  it('sets no start timer when startTimeout is Infinity', () => {
    const w = spawn({ startTimeout: Infinity })
    expect(w.clock.pending).toBe(0)
  })

  it('fails the start when the worker does not report ready within startTimeout, and kills it', async () => {
    const w = spawn({ startTimeout: 200 })
    await w.clock.advance(199)
    expect(w.ready.status).toBe('pending')
    await w.clock.advance(1)
    expect(w.ready.status).toBe('rejected')
    expect((w.ready.error as Error).message).toMatch(/^Worker 1 did not report ready within 200 ms \(startTimeout\)/)
    expect(w.channel.kills).toBe(1)
    expect(w.gone.status).toBe('fulfilled')
    // A failed start is the pool's to count through ready(), not an exit to report.
    expect(w.exits).toEqual([])
    expect(w.clock.pending).toBe(0)
  })

  it("fails the start with the worker's init-error and kills it", async () => {
    const w = spawn()
    w.channel.send({ type: 'init-error', error: serializeError(new RangeError('setup failed')) })
    await w.clock.flush()
    expect(w.ready.error).toBeInstanceOf(RangeError)
    expect((w.ready.error as Error).message).toBe('setup failed')
    expect(w.channel.kills).toBe(1)
    expect(w.clock.pending).toBe(0)
  })

  it('refuses a worker that speaks another protocol version', async () => {
    const w = spawn()
    w.channel.ready([], PROTOCOL_VERSION + 1)
    await w.clock.flush()
    expect((w.ready.error as Error).message).toMatch(/speaks protocol \d+, this side \d+/)
    expect(w.channel.kills).toBe(1)
  })

  it('fails the start with the exit code when the worker exits before it reports ready', async () => {
    const w = spawn()
    w.channel.error(new Error('not this one'))
    w.channel.exit({ exitCode: 0 })
    await w.clock.flush()
    // The runtime's own error is the most precise reason there is.
    expect((w.ready.error as Error).message).toBe('not this one')
    const bare = spawn()
    bare.channel.exit({ exitCode: 0 })
    await bare.clock.flush()
    expect((bare.ready.error as Error).message).toMatch(/^Worker 1 exited with code 0 before it reported ready/)
    expect(bare.clock.pending).toBe(0)
  })

  it('kills a worker terminated while it starts, and fails its start', async () => {
    const w = spawn()
    expect(w.worker.leaving).toBe(false)
    const terminated = track(w.worker.terminate())
    expect(w.worker.leaving).toBe(true)
    await w.clock.flush()
    expect(w.channel.kills).toBe(1)
    expect(w.channel.messages('close')).toEqual([])
    expect(terminated.status).toBe('fulfilled')
    expect((w.ready.error as Error).message).toMatch(/^Worker 1 exited with code 1 before it reported ready/)
    expect(w.exits).toEqual([])
    expect(w.worker.leaving).toBe(false)
    expect(w.clock.pending).toBe(0)
  })

  it('fails the start of a worker whose first post is malformed', async () => {
    const w = spawn()
    w.channel.send([{ type: 'ready' }, 42])
    await w.clock.flush()
    expect((w.ready.error as Error).message).toMatch(/sent a malformed message/)
    expect(w.channel.kills).toBe(1)
  })
})

// ---------------------------------------------------------------- running tasks

describe('RemoteWorker: running tasks', () => {
  it("posts the runs of one turn as one frame, and reports each result as 'ok' or 'failed' with the output or the rebuilt error", async () => {
    const w = await readyWorker({ concurrentTasksPerWorker: 3 })
    const tasks = await w.send([1, 2, 3], 'work')
    const frames = w.channel.posts.filter((p) => Array.isArray(p) && p[0] === RUN_FRAME)
    expect(frames).toEqual([[RUN_FRAME, 1, 1, 'work', 10, 1, undefined, 2, 2, 'work', 20, 1, undefined, 3, 3, 'work', 30, 1, undefined]])
    w.channel.results([
      [1, true, 'one'],
      [2, false, new TypeError('bad input')],
    ])
    expect(w.outcomes()).toEqual({ 1: 'ok', 2: 'failed' })
    expect(w.valueOf(1)).toBe('one')
    expect(w.valueOf(2)).toBeInstanceOf(TypeError)
    expect((w.valueOf(2) as Error).message).toBe('bad input')
    // The same task object comes back.
    expect(w.settled[0]!.task).toBe(tasks[0])
    w.channel.send({ type: 'result', id: 3, ok: true, value: 'three' })
    expect(w.outcomes()[3]).toBe('ok')
    expect(w.settled).toHaveLength(3)
  })

  it('ignores a result for a task settled meanwhile', async () => {
    const w = await readyWorker()
    await w.send([1])
    w.channel.results([[1, true, 'a']])
    w.channel.results([[1, true, 'again']])
    expect(w.settled).toHaveLength(1)
    expect(w.channel.kills).toBe(0)
  })

  it('run() resolves with the output and rejects with the error, for callers that want a promise', async () => {
    const w = await readyWorker({ concurrentTasksPerWorker: 2 })
    const ok = track(w.worker.run('in', fakeTask(1)))
    const failed = track(w.worker.run('in', fakeTask(2)))
    await w.clock.flush()
    w.channel.results([
      [1, true, 'out'],
      [2, false, new Error('no')],
    ])
    await w.clock.flush()
    expect(ok.value).toBe('out')
    expect((failed.error as Error).message).toBe('no')
  })

  it('run() rejects with WorkerExitError whose taskStarted is false for a task that never started', async () => {
    const w = await readyWorker({ maxTasksPerWorker: 1 })
    await w.send([1])
    const late = track(w.worker.run('in', fakeTask(2)))
    await w.clock.flush()
    expect(late.error).toBeInstanceOf(WorkerExitError)
    expect(late.error).toMatchObject({ taskStarted: false, workerId: 1, message: 'Worker 1 is leaving' })
  })

  it('fails only the task whose input cannot be cloned; the others of its frame are posted', async () => {
    const w = await readyWorker({ concurrentTasksPerWorker: 3 })
    const tasks = [fakeTask(1), fakeTask(2), fakeTask(3)]
    w.worker.send(1, tasks[0]!, w.done)
    w.worker.send(() => 2, tasks[1]!, w.done)
    w.worker.send(3, tasks[2]!, w.done)
    await w.clock.flush()
    expect(w.channel.runIds()).toEqual([1, 3])
    expect(w.outcomes()).toEqual({ 2: 'failed' })
    expect(w.valueOf(2)).toBeInstanceOf(TypeError)
    expect((w.valueOf(2) as Error).message).toMatch(/^Task 2: its input could not be sent to the worker/)
  })

  it("reports a task sent to a worker that is leaving as 'unstarted', after send() returns", async () => {
    const w = await readyWorker({ maxTasksPerWorker: 1 })
    await w.send([1])
    w.worker.send(20, fakeTask(2), w.done)
    expect(w.settled).toHaveLength(0)
    await w.clock.flush()
    expect(w.outcomes()).toEqual({ 2: 'unstarted' })
    expect(w.valueOf(2)).toMatchObject({ taskStarted: false })
    expect(w.channel.runIds()).toEqual([1])
  })

  it('ignores posts that are not the protocol (a user’s own messages)', async () => {
    const w = await readyWorker()
    await w.send([1])
    w.channel.send({ hello: 'world' })
    w.channel.send('text')
    expect(w.channel.kills).toBe(0)
    expect(w.exits).toEqual([])
  })
})

// ---------------------------------------------------------------- prefetch window

describe('RemoteWorker: prefetch window and capacity', () => {
  it('sets the capacity to concurrentTasksPerWorker + prefetch at once when the window is fixed (prefetchMs Infinity), and keeps it', async () => {
    const w = await readyWorker({ concurrentTasksPerWorker: 2, prefetch: 8 })
    expect(w.capacities).toEqual([10])
    await w.send([1, 2])
    w.channel.results(
      [
        [1, true, 1],
        [2, true, 2],
      ],
      500,
    )
    expect(w.capacities).toEqual([10])
  })

  it('starts an adaptive window at one task ahead, and opens it to prefetch when the results say tasks are short, raising flushEvery', async () => {
    const w = await readyWorker({ prefetch: 8, prefetchMs: 3 })
    expect(w.capacities).toEqual([2])
    expect(w.channel.messages('configure').map((m) => m.flushEvery)).toEqual([1])
    await w.send([1, 2])
    // Two tasks took 0.2 ms in all: 3 ms of work is 30 tasks, over the cap of 8.
    w.channel.results(
      [
        [1, true, 1],
        [2, true, 2],
      ],
      0.2,
    )
    expect(w.capacities).toEqual([2, 9])
    expect(w.channel.messages('configure').map((m) => m.flushEvery)).toEqual([1, 5])
  })

  it('narrows the window when tasks get long: about prefetchMs of work ahead, at least one', async () => {
    const w = await readyWorker({ prefetch: 8, prefetchMs: 3 })
    await w.send([1, 2])
    w.channel.results(
      [
        [1, true, 1],
        [2, true, 2],
      ],
      2,
    )
    // 1 ms per task: 3 ahead.
    expect(w.capacities).toEqual([2, 4])
    await w.send([3, 4])
    w.channel.results(
      [
        [3, true, 3],
        [4, true, 4],
      ],
      200,
    )
    expect(w.capacities).toEqual([2, 4, 2])
  })

  it('keeps the window steady through changes under a quarter', async () => {
    const w = await readyWorker({ prefetch: 64, prefetchMs: 3 })
    await w.send([1])
    // 0.15 ms per task: 20 ahead.
    w.channel.results([[1, true, 1]], 0.15)
    expect(w.capacities).toEqual([2, 21])
    await w.send([2])
    // Smoothed to about 0.1425 ms: 21 wanted, a change of 1 on 20.
    w.channel.results([[2, true, 2]], 0.12)
    expect(w.capacities).toEqual([2, 21])
  })

  /** Sends task `id`'s result as taking `took` ms, posted `lag` ms ago on the clock every thread shares (plus a constant `skew`). */
  const lateResult = async (w: Awaited<ReturnType<typeof readyWorker>>, id: number, took: number, lag: number, skew = 0): Promise<void> => {
    await w.send([id])
    w.channel.results([[id, true, id]], took, undefined, performance.timeOrigin + performance.now() - lag - skew)
  }

  it('widens the window to cover a main side slow to read the results (twice its delay, up to 50 ms of work), and narrows it back once the delay goes', async () => {
    const w = await readyWorker({ prefetch: 256, prefetchMs: 3 })
    // 1 ms tasks, read at once: 3 ms of work ahead.
    await lateResult(w, 1, 1, 0)
    expect(w.capacities.at(-1)).toBe(1 + 3)
    // The main side read the next frame 20 ms late: half of the delay counts at once (10 ms), the window covers twice that.
    await lateResult(w, 2, 1, 20)
    expect(w.capacities.at(-1)).toBe(1 + 20)
    await lateResult(w, 3, 1, 20)
    expect(w.capacities.at(-1)).toBe(1 + 30)
    // However late, at most 50 ms of work waits in a worker.
    await lateResult(w, 4, 1, 500)
    expect(w.capacities.at(-1)).toBe(1 + 50)
    // Read at once again: the delay fades over a few dozen frames, back to prefetchMs.
    const sizes: number[] = []
    for (let id = 5; id < 200; id++) {
      await lateResult(w, id, 1, 0)
      sizes.push(w.capacities.at(-1)! - 1)
    }
    expect(sizes[0]).toBe(50)
    expect(sizes.slice(0, 20).every((size) => size > 3)).toBe(true)
    expect(sizes.at(-1)).toBe(3)
    // Never wider on the way down.
    expect(sizes.every((size, i) => i === 0 || size <= sizes[i - 1]!)).toBe(true)
  })

  it('counts the delay above the least seen, so a worker whose clock differs by a constant (a child process) keeps its window', async () => {
    const w = await readyWorker({ prefetch: 256, prefetchMs: 3 })
    for (let id = 1; id <= 20; id++) await lateResult(w, id, 1, 0, 40)
    expect(w.capacities).toEqual([2, 4])
    for (let id = 21; id <= 40; id++) await lateResult(w, id, 1, 0, -40)
    expect(w.capacities).toEqual([2, 4])
  })

  it('keeps a fixed window (prefetchMs Infinity) and a prefetch of 1 whatever the delay', async () => {
    const fixed = await readyWorker({ prefetch: 8, prefetchMs: Infinity })
    await lateResult(fixed, 1, 1, 0)
    await lateResult(fixed, 2, 1, 200)
    expect(fixed.capacities).toEqual([9])
    const one = await readyWorker({ prefetch: 1, prefetchMs: 3 })
    await lateResult(one, 1, 1, 0)
    await lateResult(one, 2, 1, 200)
    expect(one.capacities).toEqual([2])
  })
})

// ---------------------------------------------------------------- heartbeat

describe('RemoteWorker: heartbeat', () => {
  it('pings every unresponsiveTimeout / 2 on the clock and keeps a worker that answers', async () => {
    const w = await readyWorker({ unresponsiveTimeout: 200 })
    for (let seq = 1; seq <= 10; seq++) {
      await w.clock.advance(100)
      expect(w.channel.messages('ping').at(-1)).toEqual({ type: 'ping', seq })
      w.channel.send({ type: 'pong', seq, eventLoopUtilization: 0.5, heapUsed: 1234 })
    }
    expect(w.exits).toEqual([])
    expect(w.channel.kills).toBe(0)
    expect(w.worker.stats()).toEqual({ eventLoopUtilization: 0.5, heapUsed: 1234 })
  })

  it('does not keep the process alive with its heartbeat timer', async () => {
    const w = await readyWorker({ unresponsiveTimeout: 200 })
    expect(w.clock.pending).toBe(1)
    expect(w.clock.keepingAlive).toBe(0)
  })

  it('reports a worker that does not answer for unresponsiveTimeout as unresponsive, kills it, and fails its task when it exits', async () => {
    const w = await readyWorker({ unresponsiveTimeout: 200 })
    await w.send([1])
    await w.clock.advance(200)
    expect(w.exits).toEqual([])
    await w.clock.advance(100)
    expect(w.exits).toHaveLength(1)
    expect(w.exits[0]!.reason).toBe('unresponsive')
    expect((w.exits[0]!.error as Error).message).toBe('Worker 1 did not answer a heartbeat for 200 ms')
    expect(w.channel.kills).toBe(1)
    expect(w.outcomes()).toEqual({ 1: 'failed' })
    expect(w.valueOf(1)).toBeInstanceOf(WorkerExitError)
    expect(w.valueOf(1)).toMatchObject({ taskStarted: true, exitCode: 1, cause: w.exits[0]!.error })
    expect(w.clock.pending).toBe(0)
  })

  it('stops the heartbeat once the worker is told to close', async () => {
    const w = await readyWorker({ unresponsiveTimeout: 200 })
    void w.worker.terminate()
    expect(w.clock.pending).toBe(1) // the close timer alone
    await w.clock.advance(1000)
    expect(w.channel.messages('ping')).toEqual([])
    expect(w.exits).toEqual([])
  })
})

// ---------------------------------------------------------------- aborting

describe('RemoteWorker: aborting', () => {
  it("asks the worker to drop an aborted task waiting in its inbox; a 'dropped' answer settles it as 'unstarted' and clears the abort timer", async () => {
    const w = await readyWorker()
    const [, second] = await w.send([1, 2])
    const reason = new Error('gave up')
    second!.abort(reason)
    await w.clock.flush()
    expect(w.channel.messages('abort')).toEqual([{ type: 'abort', id: 2, reason: serializeError(reason) }])
    // The abort timer: it does not keep the process alive by itself.
    expect(w.clock.pending).toBe(1)
    expect(w.clock.keepingAlive).toBe(0)
    w.channel.send({ type: 'abort-ack', id: 2, state: 'dropped' })
    expect(w.outcomes()).toEqual({ 2: 'unstarted' })
    expect(w.valueOf(2)).toMatchObject({ taskStarted: false, message: 'Task 2 was aborted before it started' })
    expect(w.clock.pending).toBe(0)
    expect(w.channel.kills).toBe(0)
    w.channel.results([[1, true, 'one']])
    expect(w.outcomes()).toEqual({ 1: 'ok', 2: 'unstarted' })
  })

  it('stops the worker when an aborted task is not dropped within abortTimeout: the task fails with its reason and the pool hears "stopped"', async () => {
    const w = await readyWorker({ abortTimeout: 100 })
    const [, second] = await w.send([1, 2])
    const reason = new Error('gave up')
    second!.abort(reason)
    await w.clock.advance(99)
    expect(w.channel.kills).toBe(0)
    await w.clock.advance(1)
    expect(w.exits).toEqual([{ reason: 'stopped' }])
    expect(w.channel.kills).toBe(1)
    expect(w.valueOf(2)).toBe(reason)
    expect(w.outcomes()[2]).toBe('failed')
    expect(w.settled).toHaveLength(2)
    expect(w.gone.status).toBe('fulfilled')
    expect(w.clock.pending).toBe(0)
  })

  it('sets no abort timer when abortTimeout is Infinity: the task waits for the worker to answer', async () => {
    const w = await readyWorker({ abortTimeout: Infinity })
    const [, second] = await w.send([1, 2])
    second!.abort(new Error('gave up'))
    await w.clock.flush()
    expect(w.channel.messages('abort')).toHaveLength(1)
    expect(w.clock.pending).toBe(0)
  })

  it("stops the worker at once when the one task it runs is aborted and not cooperative: the task fails with the reason, those behind it go back 'unstarted'", async () => {
    const w = await readyWorker()
    const [first] = await w.send([1, 2, 3])
    const reason = new Error('cancelled')
    first!.abort(reason)
    expect(w.exits).toEqual([{ reason: 'stopped' }])
    expect(w.outcomes()).toEqual({ 1: 'failed', 2: 'unstarted', 3: 'unstarted' })
    expect(w.valueOf(1)).toBe(reason)
    expect(w.valueOf(2)).toMatchObject({ taskStarted: false, message: 'Worker 1 was stopped to end aborted task 1' })
    expect(w.worker.leaving).toBe(true)
    await w.clock.flush()
    expect(w.channel.kills).toBe(1)
    expect(w.channel.messages('abort')).toEqual([])
    // Its exit reports nothing more.
    expect(w.exits).toHaveLength(1)
    expect(w.settled).toHaveLength(3)
  })

  it('counts the first concurrentTasksPerWorker - 1 others as maybe started when it stops a worker running several', async () => {
    const w = await readyWorker({ concurrentTasksPerWorker: 3 })
    const tasks = await w.send([1, 2, 3, 4, 5])
    tasks[1]!.abort(new Error('stop'))
    await w.clock.flush()
    w.channel.send({ type: 'abort-ack', id: 2, state: 'running' })
    expect(w.exits).toEqual([{ reason: 'stopped' }])
    expect(w.outcomes()).toEqual({ 1: 'failed', 2: 'failed', 3: 'failed', 4: 'unstarted', 5: 'unstarted' })
    expect(w.valueOf(2)).toMatchObject({ taskStarted: true, message: 'Worker 1 was stopped to end aborted task 2' })
  })

  it('only asks a cooperative task to stop: its own result settles it, and the worker stays', async () => {
    const w = await readyWorker({}, ['default'])
    const [first] = await w.send([1])
    const reason = new Error('cancelled')
    first!.abort(reason)
    first!.abort(reason)
    await w.clock.flush()
    expect(w.channel.messages('abort')).toHaveLength(1)
    expect(w.clock.pending).toBe(0)
    w.channel.results([[1, false, reason]])
    expect(w.outcomes()).toEqual({ 1: 'failed' })
    expect(w.channel.kills).toBe(0)
    expect(w.exits).toEqual([])
  })

  it('treats a named task as cooperative only when its function is', async () => {
    const w = await readyWorker({ concurrentTasksPerWorker: 2 }, ['polite'])
    const [polite] = await w.send([1], 'polite')
    polite!.abort(new Error('x'))
    const [rude] = await w.send([2], 'rude')
    rude!.abort(new Error('y'))
    await w.clock.flush()
    expect(w.channel.messages('abort').map((m) => m.id)).toEqual([1, 2])
    // Only the non-cooperative one may need stopping: one abort timer.
    expect(w.clock.pending).toBe(1)
  })
})

// ---------------------------------------------------------------- exits

describe('RemoteWorker: exits', () => {
  it("fails what a crashed worker held: the first concurrentTasksPerWorker 'failed' (they may have started), the rest 'unstarted'; the pool hears 'crashed'", async () => {
    const w = await readyWorker({ concurrentTasksPerWorker: 2 })
    await w.send([1, 2, 3, 4])
    const last = new Error('segfault-ish')
    w.channel.error(last)
    w.channel.exit({ exitCode: 3 })
    expect(w.outcomes()).toEqual({ 1: 'failed', 2: 'failed', 3: 'unstarted', 4: 'unstarted' })
    for (const s of w.settled) {
      expect(s.value).toBeInstanceOf(WorkerExitError)
      expect(s.value).toMatchObject({ workerId: 1, exitCode: 3, cause: last, message: 'Worker 1 exited with code 3 while running the task' })
    }
    expect(w.settled.map((s) => (s.value as WorkerExitError).taskStarted)).toEqual([true, true, false, false])
    expect(w.exits).toEqual([{ exitCode: 3, signal: undefined, error: last, reason: 'crashed' }])
    expect(w.gone.status).toBe('pending')
    await w.clock.flush()
    expect(w.gone.status).toBe('fulfilled')
  })

  it('reports a malformed result as a crash and fails the tasks held with it as the cause', async () => {
    const w = await readyWorker()
    await w.send([1, 2])
    w.channel.send([RESULT_FRAME, undefined, undefined, undefined, 99, true, 'x'])
    expect(w.exits).toHaveLength(1)
    expect(w.exits[0]!.reason).toBe('crashed')
    const error = w.exits[0]!.error as Error
    expect(error.message).toMatch(/^Worker 1 sent a malformed message \(a result with id 99, ok true\)/)
    expect(w.outcomes()).toEqual({ 1: 'failed', 2: 'unstarted' })
    expect(w.valueOf(1)).toMatchObject({ cause: error, message: error.message, taskStarted: true })
    await w.clock.flush()
    expect(w.channel.kills).toBe(1)
    expect(w.exits).toHaveLength(1)
  })

  it('reports an exit after terminate() to nobody, and resolves gone', async () => {
    const w = await readyWorker()
    const terminated = track(w.worker.terminate())
    w.channel.exit({ exitCode: 0 })
    await w.clock.flush()
    expect(w.exits).toEqual([])
    expect(terminated.status).toBe('fulfilled')
    expect(w.gone.status).toBe('fulfilled')
  })

  it('posts nothing after the worker exited, however the frame was queued', async () => {
    const w = await readyWorker()
    w.worker.send(10, fakeTask(1), w.done)
    w.channel.exit({ exitCode: 1 })
    await w.clock.flush()
    expect(w.channel.runIds()).toEqual([])
    expect(w.outcomes()).toEqual({ 1: 'failed' })
  })
})

// ---------------------------------------------------------------- terminate and recycling

describe('RemoteWorker: terminate and recycling', () => {
  it('closes an idle worker gracefully, once, and kills it if it is not gone within closeTimeout', async () => {
    const w = await readyWorker({ closeTimeout: 500 })
    const first = track(w.worker.terminate())
    const second = track(w.worker.terminate())
    expect(w.channel.messages('close')).toHaveLength(1)
    expect(w.worker.leaving).toBe(true)
    // The close timer does not keep the process alive.
    expect(w.clock.pending).toBe(1)
    expect(w.clock.keepingAlive).toBe(0)
    await w.clock.advance(499)
    expect(w.channel.kills).toBe(0)
    await w.clock.advance(1)
    expect(w.channel.kills).toBe(1)
    expect(first.status).toBe('fulfilled')
    expect(second.status).toBe('fulfilled')
    expect(w.exits).toEqual([])
    expect(w.clock.pending).toBe(0)
  })

  it('clears the close timer when the worker closes in time', async () => {
    const w = await readyWorker()
    void w.worker.terminate()
    w.channel.exit({ exitCode: 0 })
    await w.clock.flush()
    expect(w.clock.pending).toBe(0)
    expect(w.channel.kills).toBe(0)
  })

  it('kills a worker that holds tasks at once, failing them, with nothing reported to the pool', async () => {
    const w = await readyWorker()
    await w.send([1, 2])
    const terminated = track(w.worker.terminate())
    expect(w.channel.messages('close')).toEqual([])
    await w.clock.flush()
    expect(w.channel.kills).toBe(1)
    expect(terminated.status).toBe('fulfilled')
    expect(w.outcomes()).toEqual({ 1: 'failed', 2: 'unstarted' })
    expect(w.exits).toEqual([])
    expect(await w.worker.terminate()).toBeUndefined()
  })

  it("recycles the worker after maxTasksPerWorker tasks: the pool hears 'recycled', it takes no more, and closes once its tasks are done", async () => {
    const w = await readyWorker({ maxTasksPerWorker: 2 })
    await w.send([1, 2])
    expect(w.exits).toEqual([{ reason: 'recycled' }])
    expect(w.worker.leaving).toBe(false)
    w.channel.results([[1, true, 1]])
    expect(w.channel.messages('close')).toEqual([])
    w.channel.results([[2, true, 2]])
    expect(w.channel.messages('close')).toHaveLength(1)
    expect(w.outcomes()).toEqual({ 1: 'ok', 2: 'ok' })
    w.channel.exit({ exitCode: 0 })
    await w.clock.flush()
    expect(w.exits).toHaveLength(1)
    expect(w.clock.pending).toBe(0)
  })

  it('recycles the worker when a result frame reports its heap over maxHeapBytes', async () => {
    const w = await readyWorker({ maxHeapBytes: 1000 })
    await w.send([1])
    w.channel.results([[1, true, 1]], undefined, 999)
    expect(w.exits).toEqual([])
    await w.send([2])
    w.channel.results([[2, true, 2]], undefined, 2000)
    expect(w.exits).toEqual([{ reason: 'recycled' }])
    expect(w.channel.messages('close')).toHaveLength(1)
    expect(w.worker.stats().heapUsed).toBe(2000)
  })

  it('settles a task dropped after its worker was recycled, then closes the worker', async () => {
    const w = await readyWorker({ maxTasksPerWorker: 2, concurrentTasksPerWorker: 2 })
    const [, second] = await w.send([1, 2])
    w.channel.results([[1, true, 1]])
    second!.abort(new Error('no'))
    await w.clock.flush()
    w.channel.send({ type: 'abort-ack', id: 2, state: 'dropped' })
    expect(w.outcomes()).toEqual({ 1: 'ok', 2: 'unstarted' })
    expect(w.channel.messages('close')).toHaveLength(1)
  })
})

// ---------------------------------------------------------------- timers

describe('RemoteWorker: timers', () => {
  it.each([
    [
      'a crash with an abort timer and the heartbeat running',
      async (w: ReturnType<typeof spawn>) => {
        const [, second] = await w.send([1, 2])
        second!.abort(new Error('x'))
        await w.clock.flush()
        expect(w.clock.pending).toBe(2)
        w.channel.exit({ exitCode: 1 })
      },
    ],
    [
      'terminate() with an abort timer and the heartbeat running',
      async (w: ReturnType<typeof spawn>) => {
        const [, second] = await w.send([1, 2])
        second!.abort(new Error('x'))
        await w.clock.flush()
        await w.worker.terminate()
      },
    ],
    [
      'terminate() of an idle worker that then closes',
      async (w: ReturnType<typeof spawn>) => {
        void w.worker.terminate()
        w.channel.exit({ exitCode: 0 })
      },
    ],
    [
      'a heartbeat left unanswered',
      async (w: ReturnType<typeof spawn>) => {
        await w.send([1])
        await w.clock.advance(1000)
      },
    ],
  ])('leaves no timer pending once the worker is gone: %s', async (_label, scenario) => {
    const w = spawn({ unresponsiveTimeout: 200, concurrentTasksPerWorker: 2 })
    w.channel.ready()
    await w.clock.flush()
    await scenario(w)
    await w.clock.flush()
    expect(w.gone.status).toBe('fulfilled')
    expect(w.clock.pending).toBe(0)
  })
})
