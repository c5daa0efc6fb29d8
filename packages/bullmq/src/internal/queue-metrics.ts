import { systemClock } from '@poolkit/core'
import type { Clock, CollectedMetric, TimerHandle } from '@poolkit/core'
import { Queue, QueueEvents } from 'bullmq'
import type { QueueMetrics, QueueMetricsOptions, QueueMetricsState } from '../queue-metrics.js'
import { closeUnconnected, waitReady } from './connect.js'
import * as check from './validate.js'

const STATES: readonly QueueMetricsState[] = ['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed']

export class QueueMetricsImpl implements QueueMetrics {
  readonly queueName: string
  private readonly queue: Queue
  private readonly events: QueueEvents
  private readonly clock: Clock
  private readonly intervalMs: number
  private readonly labels: { readonly queue: string }
  private readonly first: Promise<void>
  private counts: Readonly<Record<string, number>> | undefined
  private stalled = 0
  private refreshFailures = 0
  private timer: TimerHandle | undefined
  private closed = false
  private closePromise: Promise<void> | undefined

  constructor(queueName: string, options: QueueMetricsOptions) {
    this.queueName = check.queueName('queueName', queueName)
    const o = check.optionsObject('options', options)
    check.connection('options.connection', o.connection)
    check.optionalString('options.prefix', o.prefix)
    this.intervalMs = o.intervalMs === undefined ? 5_000 : check.positiveDuration('options.intervalMs', o.intervalMs)
    const connectTimeout = o.connectTimeout === undefined ? 10_000 : check.positiveDuration('options.connectTimeout', o.connectTimeout)
    check.optionalClock('options.clock', o.clock)
    this.clock = o.clock ?? systemClock
    this.labels = { queue: this.queueName }
    const prefix = o.prefix === undefined ? {} : { prefix: o.prefix }
    this.queue = new Queue(this.queueName, { connection: o.connection, ...prefix })
    this.events = new QueueEvents(this.queueName, { connection: o.connection, ...prefix })
    this.events.on('stalled', () => {
      this.stalled++
    })
    const info = { queueName: this.queueName, connection: o.connection, timeoutMs: connectTimeout, clock: this.clock }
    this.first = waitReady([this.queue, this.events], info).then(
      () => this.refresh().then(() => this.schedule()),
      async (error: unknown) => {
        this.closed = true
        this.closePromise = closeUnconnected(this.events, this.queue)
        await this.closePromise
        throw error
      },
    )
    this.first.catch(() => {})
  }

  ready(): Promise<void> {
    return this.first
  }

  async refresh(): Promise<void> {
    if (this.closed) return
    try {
      this.counts = await this.queue.getJobCounts(...STATES)
    } catch (error) {
      if (this.closed) return
      this.refreshFailures++
      throw error
    }
  }

  collect(): readonly CollectedMetric[] {
    const counts = this.counts
    return [
      {
        name: 'bullmq_jobs',
        help: 'Jobs in each state of the BullMQ queue, as last read from Redis.',
        type: 'gauge',
        samples: counts === undefined ? [] : STATES.map((state) => ({ labels: { queue: this.queueName, state }, value: counts[state] ?? 0 })),
      },
      {
        name: 'bullmq_stalled_jobs_total',
        help: 'Jobs of the BullMQ queue whose consumer stopped renewing their lock, moved back to wait or to failed, since the collector started.',
        type: 'counter',
        samples: [{ labels: this.labels, value: this.stalled }],
      },
      {
        name: 'bullmq_metrics_refresh_failures_total',
        help: 'Reads of the BullMQ queue job counts from Redis that failed.',
        type: 'counter',
        samples: [{ labels: this.labels, value: this.refreshFailures }],
      },
    ]
  }

  close(): Promise<void> {
    if (this.closePromise !== undefined) return this.closePromise
    this.closed = true
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.closePromise = Promise.allSettled([this.events.close(), this.queue.close()]).then(() => {})
    return this.closePromise
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  private schedule(): void {
    if (this.closed) return
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined
      // A failed read is counted; the next one comes all the same.
      this.refresh()
        .catch(() => {})
        .finally(() => this.schedule())
    }, this.intervalMs)
    this.clock.unref?.(this.timer)
  }
}
