import { PoolClosedError, systemClock, TaskTimeoutError } from '@poolkit/core'
import type { Clock, CloseOptions, TimerHandle } from '@poolkit/core'
import { Job, Queue, QueueEvents } from 'bullmq'
import type { ConnectionOptions, JobsOptions, QueueEventsOptions } from 'bullmq'
import { RemoteJobError } from '../errors.js'
import { toJobOptions } from '../job-options.js'
import type { RemotePool, RemotePoolOptions, RemoteRunOptions } from '../remote-pool.js'
import { closeUnconnected, waitReady } from './connect.js'
import * as check from './validate.js'

/** One run waiting for its job. */
interface PendingRun {
  settled: boolean
  reject(error: unknown): void
}

/** How a job ended, as the queue's events tell. */
type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string; readonly removed?: boolean }

/** The most outcomes kept for jobs whose add has not returned yet. */
const MAX_EARLY = 10_000

/** The class name at the head of a recorded stack (`TypeError: ...`), if it has one. */
function nameOfStack(stack: string | undefined): string | undefined {
  if (stack === undefined) return undefined
  return /^([A-Za-z_$][\w$]*)(?::|\n|$)/.exec(stack)?.[1]
}

/**
 * The id of the last event in the queue's event stream, so that the queue
 * events start right after it rather than at whatever is last when their first
 * read reaches Redis: a job added once `ready()` resolved cannot finish unseen.
 * Reads it with ioredis' XREVRANGE; with another client, events start at `$`.
 */
async function lastEventId(queue: Queue): Promise<string> {
  const client = (await queue.getBackend().client) as unknown as { xrevrange?: (key: string, end: string, start: string, count: 'COUNT', n: number) => Promise<[string, string[]][]> }
  if (typeof client.xrevrange !== 'function') return '$'
  const [last] = await client.xrevrange(queue.keys.events!, '+', '-', 'COUNT', 1)
  return last?.[0] ?? '0-0'
}

export class RemotePoolImpl<I, O> implements RemotePool<I, O> {
  readonly name: string
  readonly queue: Queue
  readonly queueEvents: QueueEvents
  private readonly connection: ConnectionOptions
  private readonly connectTimeout: number
  private readonly clock: Clock
  private readonly connecting: Promise<void>
  private readonly runs = new Set<PendingRun>()
  /** Runs waiting for their job to finish, by job id. */
  private readonly waiters = new Map<string, (outcome: Outcome) => void>()
  /** Outcomes of jobs that finished while a run was still adding its job (its id unknown yet); kept until no add is in flight. */
  private readonly early = new Map<string, Outcome>()
  private adding = 0
  private idleWaiters: (() => void)[] = []
  private closePromise: Promise<void> | undefined
  /** Set when the connections were torn down because Redis could not be reached. */
  private connectFailed = false

  constructor(options: RemotePoolOptions) {
    const o = check.optionsObject('options', options)
    this.name = check.queueName('options.queueName', o.queueName)
    check.connection('options.connection', o.connection)
    check.optionalString('options.prefix', o.prefix)
    if (o.jobOptions !== undefined) check.optionsObject('options.jobOptions', o.jobOptions)
    this.connection = o.connection
    this.connectTimeout = o.connectTimeout === undefined ? 10_000 : check.positiveDuration('options.connectTimeout', o.connectTimeout)
    check.optionalClock('options.clock', o.clock)
    this.clock = o.clock ?? systemClock
    const prefix = o.prefix === undefined ? {} : { prefix: o.prefix }
    this.queue = new Queue(this.name, { connection: this.connection, ...prefix, ...(o.jobOptions === undefined ? {} : { defaultJobOptions: o.jobOptions }) })
    // Started by connect(), once it knows where in the event stream to start.
    this.queueEvents = new QueueEvents(this.name, { connection: this.connection, ...prefix, autorun: false })
    this.queueEvents.on('completed', ({ jobId, returnvalue }) => this.finished(jobId, { ok: true, value: returnvalue }))
    this.queueEvents.on('failed', ({ jobId, failedReason }) => this.finished(jobId, { ok: false, reason: failedReason }))
    this.queueEvents.on('removed', ({ jobId }) => this.finished(jobId, { ok: false, reason: `Job ${jobId} was removed from the queue before it finished`, removed: true }))
    this.connecting = this.connect()
    // Reported by ready() and by each run; not unhandled when nobody asks.
    this.connecting.catch(() => {})
  }

  get pending(): number {
    return this.runs.size
  }

  ready(): Promise<void> {
    return this.connecting
  }

  run(input: I, options?: RemoteRunOptions): Promise<O> {
    let name: string
    let jobOptions: JobsOptions
    try {
      if (options !== undefined) check.optionsObject('options', options)
      check.abortSignal('options.signal', options?.signal)
      name = check.optionalString('options.name', options?.name) ?? 'default'
      if (options?.jobOptions !== undefined) check.optionsObject('options.jobOptions', options.jobOptions)
      jobOptions = { ...options?.jobOptions, ...toJobOptions(options) }
    } catch (error) {
      return Promise.reject(error)
    }
    if (this.closePromise !== undefined) return Promise.reject(new PoolClosedError(`The remote pool of queue "${this.name}" is closed`))
    const signal = options?.signal
    if (signal?.aborted === true) return Promise.reject(signal.reason)
    return new Promise<O>((resolve, reject) => {
      const run: PendingRun = { settled: false, reject }
      let jobId: string | undefined
      const settle = (finish: () => void): void => {
        if (run.settled) return
        run.settled = true
        this.runs.delete(run)
        if (jobId !== undefined) this.waiters.delete(jobId)
        signal?.removeEventListener('abort', onAbort)
        finish()
        if (this.runs.size === 0) this.notifyIdle()
      }
      const onAbort = (): void => {
        settle(() => reject(signal!.reason))
        // A job not yet started is removed; one a consumer holds is locked and runs to its end.
        if (jobId !== undefined) this.queue.remove(jobId).catch(() => {})
      }
      const outcome = (id: string, result: Outcome): void => {
        if (result.ok) {
          settle(() => resolve(result.value as O))
          return
        }
        // failure() catches what it expects to fail; should anything else throw, the run
        // still settles, with that error, instead of staying pending for ever.
        const fail = (error: unknown): void => settle(() => reject(error))
        this.failure(id, result, options?.timeout).then(fail, fail)
      }
      this.runs.add(run)
      signal?.addEventListener('abort', onAbort, { once: true })
      this.connecting
        .then(async () => {
          this.adding++
          try {
            return await this.queue.add(name, input, jobOptions)
          } finally {
            this.adding--
          }
        })
        .then((job) => {
          jobId = job.id!
          const early = this.early.get(jobId)
          this.early.delete(jobId)
          if (this.adding === 0) this.early.clear()
          // Cancelled (or the pool closed) while the job was being added.
          if (run.settled) {
            if (signal?.aborted === true) this.queue.remove(jobId).catch(() => {})
            return
          }
          if (early !== undefined) outcome(jobId, early)
          else this.waiters.set(jobId, (result) => outcome(jobId!, result))
        })
        .catch((error: unknown) => settle(() => reject(error)))
    })
  }

  close(options?: CloseOptions): Promise<void> {
    const timeout = options?.timeout === undefined ? Infinity : check.duration('options.timeout', options.timeout)
    if (this.closePromise !== undefined) return this.closePromise
    this.closePromise = (async () => {
      if (this.runs.size > 0) {
        let timer: TimerHandle | undefined
        await new Promise<void>((resolve) => {
          this.idleWaiters.push(resolve)
          if (timeout !== Infinity) timer = this.clock.setTimeout(resolve, timeout)
        })
        if (timer !== undefined) this.clock.clearTimeout(timer)
        const left = [...this.runs]
        this.runs.clear()
        this.waiters.clear()
        for (const run of left) {
          run.settled = true
          run.reject(new PoolClosedError(`The remote pool of queue "${this.name}" closed before the job finished; the job stays in the queue`))
        }
      }
      if (!this.connectFailed) await Promise.allSettled([this.queueEvents.close(), this.queue.close()])
    })()
    return this.closePromise
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  private async connect(): Promise<void> {
    const info = { queueName: this.name, connection: this.connection, timeoutMs: this.connectTimeout, clock: this.clock }
    try {
      await waitReady([this.queue, this.queueEvents], info)
    } catch (error) {
      // Stop the clients' reconnect loops: a pool that cannot connect holds no sockets or timers.
      this.connectFailed = true
      await closeUnconnected(this.queueEvents, this.queue)
      throw error
    }
    const eventOptions = this.queueEvents.opts as QueueEventsOptions
    eventOptions.lastEventId = await lastEventId(this.queue)
    this.queueEvents.run().catch((error: unknown) => this.queueEvents.emit('error', error instanceof Error ? error : new Error(String(error))))
  }

  private finished(jobId: string, outcome: Outcome): void {
    const waiter = this.waiters.get(jobId)
    if (waiter !== undefined) {
      this.waiters.delete(jobId)
      waiter(outcome)
    } else if (this.adding > 0) {
      this.early.set(jobId, outcome)
      // Other producers' jobs land here too while adds are in flight: keep the newest only.
      if (this.early.size > MAX_EARLY) this.early.delete(this.early.keys().next().value!)
    }
  }

  /** The error a failed job's run rejects with, from what BullMQ recorded. */
  private async failure(jobId: string, outcome: Outcome & { ok: false }, timeout: number | undefined): Promise<unknown> {
    let stored: Job | undefined
    if (outcome.removed !== true) {
      try {
        stored = await Job.fromId(this.queue, jobId)
      } catch {
        // Removed on failure (removeOnFail), or Redis went away: the message is all there is.
      }
    }
    const stack = stored?.stacktrace?.at(-1) ?? undefined
    const remote = new RemoteJobError({
      jobId,
      failedReason: stored?.failedReason ?? outcome.reason,
      remoteName: nameOfStack(stack),
      attemptsMade: stored?.attemptsMade,
      remoteStack: stack,
    })
    if (remote.remoteName === 'TaskTimeoutError') {
      const ms = timeout ?? Number(/after (\d+(?:\.\d+)?) ms/.exec(remote.message)?.[1] ?? NaN)
      return new TaskTimeoutError(ms, { cause: remote })
    }
    return remote
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const resolve of waiters) resolve()
  }
}
