import {
  deserializeError,
  isWorkerMessage,
  PROTOCOL_VERSION,
  serializeError,
  WorkerExitError,
} from '@poolkit/core'
import type {
  MainMessage,
  RunMessage,
  SpawnContext,
  TransferList,
  WorkerExit,
  WorkerHandle,
  WorkerMessage,
  WorkerPost,
  WorkerRuntimeStats,
  WorkerTask,
} from '@poolkit/core'
import type { Channel, ChannelExit } from './channel.js'
import type { ResolvedNodeOptions } from './validate.js'

/** A task sent to the worker and not yet answered. */
interface Pending {
  /** The run id: unique on this connection (two attempts of a task may share a worker). */
  readonly id: number
  readonly task: WorkerTask
  readonly name: string | undefined
  readonly resolve: (value: unknown) => void
  readonly reject: (error: unknown) => void
  /** Set once the pool aborted it: its late result is ignored. */
  aborted: boolean
}

const READY_TIMEOUT_HINT = 'before it reported ready'

/**
 * The main side of one worker: posts tasks in batches, matches results,
 * stops the worker when an aborted task will not stop by itself, recycles it
 * between tasks, watches its heartbeat, and reports how it ended. Shared by
 * threads and child processes; the channel hides which.
 */
export class RemoteWorker implements WorkerHandle {
  readonly id: number
  private readonly pending = new Map<number, Pending>()
  private cooperative = new Set<string>()
  private outbox: MainMessage[] = []
  private outTransfer: object[] | undefined
  private flushQueued = false
  private state: 'starting' | 'ready' | 'leaving' | 'exited' = 'starting'
  private received = 0
  private lastError: unknown = undefined
  private exitReason: NonNullable<WorkerExit['reason']> | undefined
  private reported = false
  private heapUsed: number | undefined
  private elu: number | undefined
  private heartbeat: ReturnType<typeof setInterval> | undefined
  private lastPong = 0
  private pingSeq = 0
  private exited: Promise<void>
  private terminating: Promise<void> | undefined
  private going = false
  private markExited!: () => void
  private readyResolve!: (handle: RemoteWorker) => void
  private readyReject!: (error: unknown) => void
  readonly ready: Promise<RemoteWorker>
  private nextRunId = 1
  private readonly onTaskAbort = (reason: unknown, task: WorkerTask): void => {
    for (const p of this.pending.values()) {
      if (p.task === task) {
        this.abortTask(p.id, reason)
        return
      }
    }
  }

  constructor(
    private readonly channel: Channel,
    private readonly context: SpawnContext,
    private readonly options: ResolvedNodeOptions,
  ) {
    this.id = context.workerId
    this.ready = new Promise((resolve, reject) => {
      this.readyResolve = resolve
      this.readyReject = reject
    })
    this.exited = new Promise((resolve) => (this.markExited = resolve))
    channel.onMessage((post) => this.receive(post))
    channel.onError((error) => {
      this.lastError = error
    })
    channel.onExit((exit) => this.onChannelExit(exit))
  }

  run(input: unknown, task: WorkerTask): Promise<unknown> {
    if (this.state !== 'ready') {
      // Leaving (recycled, stopped) between the pool's choice and this call: the
      // task never reached it, so the pool queues it again.
      return Promise.reject(new WorkerExitError({ workerId: this.id, taskStarted: false, message: `Worker ${this.id} is leaving` }))
    }
    return new Promise((resolve, reject) => {
      const id = this.nextRunId++
      this.pending.set(id, { id, task, name: task.name, resolve, reject, aborted: false })
      const message: RunMessage =
        task.key === undefined
          ? { type: 'run', id, task: task.id, name: task.name, input, attempt: task.attempt }
          : { type: 'run', id, task: task.id, name: task.name, input, attempt: task.attempt, key: task.key }
      this.send(message, task.transfer)
      task.onAbort(this.onTaskAbort)
      if (++this.received >= this.options.maxTasksPerWorker) this.leave('recycled')
    })
  }

  stats(): WorkerRuntimeStats {
    const elu = this.channel.eventLoopUtilization?.() ?? this.elu
    return { eventLoopUtilization: elu, heapUsed: this.heapUsed }
  }

  /** Stops the worker: gracefully (teardown runs) when it holds no task, at once otherwise. */
  terminate(): Promise<void> {
    if (this.state === 'exited') return this.exited
    // Once only: a second 'close' would run the worker's teardown twice (and a
    // child process would disconnect twice, which throws in it).
    if (this.terminating !== undefined) return this.terminating
    this.going = true
    // The pool asked for it: nothing to report when the worker goes.
    this.reported = true
    this.exitReason ??= 'recycled'
    this.stopHeartbeat()
    if (this.pending.size > 0 || this.state === 'starting') return (this.terminating = this.kill())
    this.state = 'leaving'
    this.flushNow()
    try {
      this.channel.post({ type: 'close' })
    } catch {
      return (this.terminating = this.kill())
    }
    const timer = setTimeout(() => void this.kill(), this.options.closeTimeout)
    timer.unref()
    return (this.terminating = this.exited.finally(() => clearTimeout(timer)))
  }

  /** Resolves once the worker is gone, however it went. */
  get gone(): Promise<void> {
    return this.exited
  }

  /** Whether the worker was told to go (stopped, recycled, closed, failed to start) and has not exited yet. */
  get leaving(): boolean {
    return this.going && this.state !== 'exited'
  }

  // ---------------------------------------------------------------- sending

  private send(message: MainMessage, transfer?: TransferList): void {
    this.outbox.push(message)
    if (transfer !== undefined && transfer.length > 0 && this.channel.transfers) (this.outTransfer ??= []).push(...transfer)
    if (!this.flushQueued) {
      this.flushQueued = true
      queueMicrotask(() => this.flushNow())
    }
  }

  /** Posts what the outbox holds, as one batch; a message that cannot be cloned fails only its own task. */
  private flushNow(): void {
    this.flushQueued = false
    if (this.outbox.length === 0) return
    const messages = this.outbox
    const transfer = this.outTransfer
    this.outbox = []
    this.outTransfer = undefined
    if (this.state === 'exited') return
    try {
      this.channel.post(messages.length === 1 ? messages[0]! : messages, transfer)
      return
    } catch {
      // Something in the batch cannot be cloned: send one by one to find it.
    }
    for (const message of messages) {
      try {
        this.channel.post(message, message.type === 'run' && transfer !== undefined ? transferOf(message, transfer) : undefined)
      } catch (error) {
        if (message.type !== 'run') continue
        const p = this.pending.get(message.id)
        if (p === undefined) continue
        this.pending.delete(message.id)
        p.reject(new TypeError(`Task ${message.task ?? message.id}${message.name === undefined ? '' : ` (${message.name})`}: its input could not be sent to the worker: ${(error as Error).message}`, { cause: error }))
      }
    }
  }

  // ---------------------------------------------------------------- receiving

  private receive(post: WorkerPost): void {
    if (Array.isArray(post)) {
      for (const message of post as readonly WorkerMessage[]) this.handle(message)
    } else if (isWorkerMessage(post)) {
      this.handle(post as WorkerMessage)
    }
  }

  private handle(message: WorkerMessage): void {
    switch (message.type) {
      case 'result': {
        const p = this.pending.get(message.id)
        if (p === undefined) return
        this.pending.delete(message.id)
        if (message.ok) p.resolve(message.value)
        else p.reject(deserializeError(message.error, this.options.errorClasses))
        if (message.heapUsed !== undefined) {
          this.heapUsed = message.heapUsed
          if (message.heapUsed > this.options.maxHeapBytes) this.leave('recycled')
        }
        if (this.state === 'leaving' && this.pending.size === 0) void this.terminate()
        return
      }
      case 'abort-ack':
        this.onAbortAck(message.id, message.state)
        return
      case 'pong':
        this.lastPong = Date.now()
        if (message.eventLoopUtilization !== undefined) this.elu = message.eventLoopUtilization
        if (message.heapUsed !== undefined) this.heapUsed = message.heapUsed
        return
      case 'ready':
        this.onReady(message.protocol, message.cooperative)
        return
      case 'init-error':
        this.lastError = deserializeError(message.error, this.options.errorClasses)
        if (this.state === 'starting') {
          this.readyReject(this.lastError)
          void this.kill()
        }
        return
    }
  }

  private onReady(protocol: number, cooperative: readonly string[]): void {
    if (this.state !== 'starting') return
    if (protocol !== PROTOCOL_VERSION) {
      this.readyReject(new Error(`The worker speaks protocol ${protocol}, this side ${PROTOCOL_VERSION}: are two versions of @poolkit/core installed?`))
      void this.kill()
      return
    }
    this.state = 'ready'
    this.cooperative = new Set(cooperative)
    const reportHeap = this.options.maxHeapBytes !== Infinity
    this.channel.post({
      type: 'configure',
      concurrency: this.options.concurrentTasksPerWorker,
      reportHeap,
      flushEvery: Math.max(1, Math.ceil((this.options.concurrentTasksPerWorker + this.options.prefetch) / 2)),
    })
    this.startHeartbeat()
    this.readyResolve(this)
  }

  // ---------------------------------------------------------------- aborting

  private abortTask(id: number, reason: unknown): void {
    const p = this.pending.get(id)
    if (p === undefined || p.aborted || this.state === 'exited') return
    p.aborted = true
    const name = p.name
    if (name !== undefined ? this.cooperative.has(name) : this.cooperative.has('default') || this.cooperative.size === 1) {
      // A cooperative function settles by itself; its result frees the slot.
      this.send({ type: 'abort', id, reason: serializeError(reason) })
      return
    }
    if (this.options.concurrentTasksPerWorker === 1 && this.pending.keys().next().value === id) {
      // It is the one task this worker runs (or is about to): stop it now.
      this.stop(id, reason)
      return
    }
    // Waiting in the worker's inbox (it will be dropped), or maybe running among
    // several: ask, and stop the worker if no answer comes in time.
    this.send({ type: 'abort', id, reason: serializeError(reason) })
    const timer = setTimeout(() => {
      if (this.pending.has(id)) this.stop(id, reason)
    }, this.options.abortTimeout)
    timer.unref()
  }

  private onAbortAck(id: number, state: 'dropped' | 'running' | 'done'): void {
    const p = this.pending.get(id)
    if (p === undefined) return
    if (state === 'running') {
      this.stop(id, undefined)
      return
    }
    // Dropped from the inbox (or done with no result to wait for): it never ran.
    this.pending.delete(id)
    p.reject(new WorkerExitError({ workerId: this.id, taskStarted: false, message: `Task ${id} was aborted before it started` }))
    if (this.state === 'leaving' && this.pending.size === 0) void this.terminate()
  }

  /** Terminates the worker to end an aborted task that will not stop by itself. */
  private stop(id: number, reason: unknown): void {
    if (this.state === 'exited') return
    // Tell the pool first, so it sends nothing more here and starts a replacement
    // before the aborted task's slot is freed.
    this.state = 'leaving'
    this.report('stopped')
    const k = this.options.concurrentTasksPerWorker
    let position = 0
    for (const p of this.pending.values()) {
      if (p.id === id) {
        p.reject(reason ?? new WorkerExitError({ workerId: this.id, message: `Worker ${this.id} was stopped to end aborted task ${id}` }))
        continue
      }
      // With one task at a time the others were waiting behind it: they go back
      // to the queue. With several, the first few may have been running.
      const taskStarted = k > 1 && position++ < k - 1
      p.reject(new WorkerExitError({ workerId: this.id, taskStarted, message: `Worker ${this.id} was stopped to end aborted task ${id}` }))
    }
    this.pending.clear()
    void this.kill()
  }

  /** Tells the pool, once, that this worker is leaving and why. */
  private report(reason: NonNullable<WorkerExit['reason']>, extra?: Omit<WorkerExit, 'reason'>): void {
    if (this.reported) return
    this.reported = true
    this.exitReason = reason
    this.context.onExit({ ...extra, reason })
  }

  // ---------------------------------------------------------------- leaving

  /** Stops taking tasks and tells the pool, which starts a replacement; the worker goes once its tasks are done. */
  private leave(reason: 'recycled'): void {
    if (this.state !== 'ready') return
    this.state = 'leaving'
    this.report(reason)
    if (this.pending.size === 0) void this.terminate()
  }

  private kill(): Promise<void> {
    this.going = true
    this.stopHeartbeat()
    return this.channel.kill().then(() => this.exited)
  }

  private onChannelExit(exit: ChannelExit): void {
    const wasState = this.state
    this.state = 'exited'
    this.stopHeartbeat()
    this.outbox = []
    if (wasState === 'starting') {
      const why = exit.signal !== undefined ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`
      this.readyReject(this.lastError ?? new Error(`Worker ${this.id} ${why} ${READY_TIMEOUT_HINT}`))
    }
    // Tasks still held: the first few may have started, the rest were waiting behind them.
    let position = 0
    const startedAtMost = this.options.concurrentTasksPerWorker
    for (const p of this.pending.values()) {
      const taskStarted = position++ < startedAtMost
      p.reject(
        new WorkerExitError({
          workerId: this.id,
          exitCode: exit.exitCode,
          signal: exit.signal,
          cause: this.lastError,
          taskStarted,
        }),
      )
    }
    this.pending.clear()
    // An exit nobody asked for is a crash; routine exits were reported when decided.
    if (wasState !== 'starting' && this.exitReason === undefined) {
      this.report('crashed', { exitCode: exit.exitCode, signal: exit.signal, error: this.lastError })
    }
    this.markExited()
  }

  // ---------------------------------------------------------------- heartbeat

  private startHeartbeat(): void {
    const timeout = this.options.unresponsiveTimeout
    if (timeout === Infinity) return
    this.lastPong = Date.now()
    const interval = Math.max(10, Math.min(timeout / 2, 1000))
    this.heartbeat = setInterval(() => {
      if (Date.now() - this.lastPong > timeout) {
        this.lastError = new Error(`Worker ${this.id} did not answer a heartbeat for ${timeout} ms`)
        this.state = 'leaving'
        this.report('unresponsive', { error: this.lastError })
        void this.kill()
        return
      }
      try {
        this.channel.post({ type: 'ping', seq: ++this.pingSeq })
      } catch {
        // The exit handler deals with a worker that is gone.
      }
    }, interval)
    this.heartbeat.unref()
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== undefined) {
      clearInterval(this.heartbeat)
      this.heartbeat = undefined
    }
  }
}

/** The transfer list entries that a single run message's input holds (used when a batch had to be split). */
function transferOf(message: RunMessage, transfer: readonly object[]): object[] | undefined {
  const found: object[] = []
  const seen = new Set<unknown>()
  const visit = (value: unknown, depth: number): void => {
    if (typeof value !== 'object' || value === null || seen.has(value) || depth > 8) return
    seen.add(value)
    if (transfer.includes(value)) found.push(value)
    if (ArrayBuffer.isView(value) && transfer.includes(value.buffer)) found.push(value.buffer)
    if (Array.isArray(value)) for (const v of value) visit(v, depth + 1)
    else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) visit(v, depth + 1)
  }
  visit(message.input, 0)
  return found.length > 0 ? found : undefined
}
