import { systemClock } from '@poolkit/core'
import type { Clock, Pool, RunOptions, TaskFailure, TimerHandle } from '@poolkit/core'
import { UnrecoverableError, WaitingError, Worker } from 'bullmq'
import type { ConnectionOptions, Job, WorkerOptions } from 'bullmq'
import type { Consumer, ConsumeOptions, ConsumerCloseOptions, ConsumerCloseReport, ConsumerState, RetryOwner } from '../consume.js'
import { fromJobPriority } from '../job-options.js'
import { poolCapacity } from './capacity.js'
import { forgetClosedSockets, waitReady } from './connect.js'
import { jobInput, readJobPoolOptions } from './job-input.js'
import * as check from './validate.js'

const CONSUMER_KEYS = ['connection', 'pool', 'input', 'taskName', 'key', 'retries', 'prefetch', 'maxConcurrency', 'capacityIntervalMs', 'connectTimeout', 'closeTimeout', 'clock'] as const

/** The abort reason BullMQ's signal carries when the close timeout hands jobs back. */
const HAND_BACK = 'poolkit: the consumer closed before the job finished; it goes back to the queue'

/** What BullMQ records for a failure: an Error, whatever was thrown. */
function toError(value: unknown): Error {
  if (value instanceof Error) return value
  if (typeof value === 'string') return new Error(value)
  try {
    return new Error(JSON.stringify(value))
  } catch {
    return new Error(String(value))
  }
}

/** The same failure, marked final for BullMQ; its recorded stack stays the original's, so its first line names the original class. */
function unrecoverable(error: Error): UnrecoverableError {
  const final = new UnrecoverableError(error.message)
  if (error.stack !== undefined) final.stack = error.stack
  Object.defineProperty(final, 'cause', { value: error, configurable: true, writable: true })
  return final
}

const defaultTaskName = (job: Job): string | undefined => (job.name === 'default' ? undefined : job.name)
const defaultKey = (job: Job): string | undefined => readJobPoolOptions(job.opts).key as string | undefined

export class ConsumerImpl<I, O> implements Consumer {
  readonly queueName: string
  readonly worker: Worker
  private readonly pool: Pool<I, O>
  private readonly connection: ConnectionOptions
  private readonly input: (job: Job) => I
  private readonly taskName: (job: Job) => string | undefined
  private readonly key: (job: Job) => string | undefined
  private readonly retries: RetryOwner
  private readonly prefetch: number
  private readonly maxConcurrency: number
  private readonly capacityIntervalMs: number
  private readonly connectTimeout: number
  private readonly closeTimeout: number
  private readonly clock: Clock

  private lifecycle: ConsumerState = 'running'
  private refreshTimer: TimerHandle | undefined
  private closeTimer: TimerHandle | undefined
  private closePromise: Promise<ConsumerCloseReport> | undefined
  private closeStartedAt = 0
  /** Set when the close timeout passed: running jobs go back to the queue. */
  private handingBack = false
  private readonly handedBack: string[] = []
  private warnedDoubleRetry = false

  constructor(queueName: string, options: ConsumeOptions<I, O>) {
    this.queueName = check.queueName('queueName', queueName)
    const o = check.optionsObject('options', options)
    check.connection('options.connection', o.connection)
    check.pool('options.pool', o.pool)
    this.connection = o.connection
    this.pool = o.pool
    // null is not "left out": only undefined takes the default.
    const input = o.input === undefined ? 'data' : o.input
    if (typeof input !== 'function') check.oneOf('options.input', input, ['data', 'envelope'])
    this.input = jobInput(input)
    check.optionalFunction('options.taskName', o.taskName)
    check.optionalFunction('options.key', o.key)
    this.taskName = o.taskName ?? defaultTaskName
    this.key = o.key ?? defaultKey
    this.retries = o.retries === undefined ? 'bullmq' : check.oneOf('options.retries', o.retries, ['bullmq', 'pool'])
    this.prefetch = o.prefetch === undefined ? 1 : check.nonNegativeInteger('options.prefetch', o.prefetch)
    this.maxConcurrency = o.maxConcurrency === undefined ? Infinity : check.positiveIntegerOrInfinity('options.maxConcurrency', o.maxConcurrency)
    this.capacityIntervalMs = o.capacityIntervalMs === undefined ? 250 : check.positiveDuration('options.capacityIntervalMs', o.capacityIntervalMs)
    this.connectTimeout = o.connectTimeout === undefined ? 10_000 : check.positiveDuration('options.connectTimeout', o.connectTimeout)
    this.closeTimeout = o.closeTimeout === undefined ? Infinity : check.duration('options.closeTimeout', o.closeTimeout)
    check.optionalClock('options.clock', o.clock)
    this.clock = o.clock ?? systemClock

    const workerOptions: Record<string, unknown> = { ...o }
    for (const name of CONSUMER_KEYS) delete workerOptions[name]
    // The processor declares three parameters: BullMQ passes an AbortSignal only to those that do.
    const processor = (job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<O> => this.process(job, token, signal)
    this.worker = new Worker(this.queueName, processor, {
      ...(workerOptions as Omit<WorkerOptions, 'connection'>),
      connection: this.connection,
      concurrency: this.desiredConcurrency(),
      autorun: false,
    })
  }

  get concurrency(): number {
    return this.worker.concurrency
  }

  get state(): ConsumerState {
    return this.lifecycle
  }

  /** Connects to Redis and waits for the pool's workers, then starts fetching. */
  async start(): Promise<void> {
    const connected = waitReady([this.worker], { queueName: this.queueName, connection: this.connection, timeoutMs: this.connectTimeout, clock: this.clock })
    const poolReady = this.pool.ready()
    // Both are awaited together; whichever fails first decides, and the other's rejection must not go unhandled.
    connected.catch(() => {})
    poolReady.catch(() => {})
    try {
      await Promise.all([connected, poolReady])
    } catch (error) {
      this.lifecycle = 'closed'
      // The error is reported by the rejection; the client's retries until the close need not be logged.
      this.worker.on('error', () => {})
      forgetClosedSockets(this.worker)
      await this.worker.close(true).catch(() => {})
      throw error
    }
    this.refresh()
    this.worker.run().catch((error: unknown) => this.worker.emit('error', toError(error)))
    this.scheduleRefresh()
  }

  close(options?: ConsumerCloseOptions): Promise<ConsumerCloseReport> {
    const timeout = options?.timeout === undefined ? this.closeTimeout : check.duration('options.timeout', options.timeout)
    if (this.closePromise === undefined) {
      this.lifecycle = 'closing'
      this.closeStartedAt = this.clock.now()
      if (this.refreshTimer !== undefined) this.clock.clearTimeout(this.refreshTimer)
      this.refreshTimer = undefined
      // BullMQ's close() stops fetching and waits for the jobs it holds, which
      // wait for their tasks on the pool; then it closes the connections.
      this.closePromise = this.worker.close().then(() => {
        if (this.closeTimer !== undefined) this.clock.clearTimeout(this.closeTimer)
        this.closeTimer = undefined
        this.lifecycle = 'closed'
        return { handedBack: [...this.handedBack], timedOut: this.handingBack, durationMs: this.clock.now() - this.closeStartedAt }
      })
    }
    // A later close({ timeout }) can still set a deadline on a close that had none.
    if (timeout !== Infinity && this.closeTimer === undefined && this.lifecycle === 'closing' && !this.handingBack) {
      this.closeTimer = this.clock.setTimeout(() => {
        this.closeTimer = undefined
        this.handingBack = true
        this.worker.cancelAllJobs(HAND_BACK)
      }, timeout)
    }
    return this.closePromise
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  // ---------------------------------------------------------------- jobs

  private process(job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<O> {
    if (this.handingBack) return this.handBack(job, token)
    let input: I
    let options: RunOptions
    try {
      input = this.input(job)
      options = {
        signal,
        priority: fromJobPriority(job.opts.priority),
        key: this.key(job),
        name: this.taskName(job),
        timeout: readJobPoolOptions(job.opts).timeout as number | undefined,
      }
    } catch (error) {
      // A job whose input cannot be made fails on its own; the consumer goes on.
      return Promise.reject(toError(error))
    }
    return new Promise<O>((resolve, reject) => {
      // Invalid options (a key that is not a string, a negative timeout) come back here as a TypeError: the job fails with it.
      this.pool.submit(
        input,
        (result) => {
          if (result.ok) {
            if (result.attempts > 1) this.noteDoubleRetry()
            resolve(result.value)
          } else {
            this.failed(job, token, signal, result, resolve, reject)
          }
        },
        options,
      )
    })
  }

  private failed(job: Job, token: string | undefined, signal: AbortSignal | undefined, result: TaskFailure, resolve: (value: O) => void, reject: (error: unknown) => void): void {
    if (this.handingBack && signal?.aborted === true) {
      this.handBack(job, token).then(resolve, reject)
      return
    }
    const error = toError(result.error)
    if (this.retries === 'pool') {
      reject(unrecoverable(error))
    } else if (result.attempts > 1) {
      // The pool retried this failure already: BullMQ must not retry it again.
      this.noteDoubleRetry()
      reject(unrecoverable(error))
    } else {
      reject(error)
    }
  }

  /** Puts a job back in the wait list with no attempt spent; BullMQ leaves a job alone after a `WaitingError`. */
  private async handBack(job: Job, token: string | undefined): Promise<never> {
    await job.moveToWait(token)
    this.handedBack.push(job.id!)
    throw new WaitingError()
  }

  private noteDoubleRetry(): void {
    if (this.retries !== 'bullmq' || this.warnedDoubleRetry) return
    this.warnedDoubleRetry = true
    process.emitWarning(
      `The pool consuming BullMQ queue "${this.queueName}" retried a task, but BullMQ owns retries here (retries: 'bullmq'): ` +
        `build the pool without a retry policy, or pass retries: 'pool'. Failures the pool retried are final for BullMQ.`,
      { code: 'POOLKIT_BULLMQ_DOUBLE_RETRY' },
    )
  }

  // ---------------------------------------------------------------- concurrency

  private desiredConcurrency(): number {
    return Math.max(1, Math.min(this.maxConcurrency, poolCapacity(this.pool.stats()) + this.prefetch))
  }

  private refresh(): void {
    const desired = this.desiredConcurrency()
    if (desired !== this.worker.concurrency) this.worker.concurrency = desired
  }

  private scheduleRefresh(): void {
    this.refreshTimer = this.clock.setTimeout(() => {
      this.refreshTimer = undefined
      if (this.lifecycle !== 'running') return
      this.refresh()
      this.scheduleRefresh()
    }, this.capacityIntervalMs)
    this.clock.unref?.(this.refreshTimer)
  }
}
