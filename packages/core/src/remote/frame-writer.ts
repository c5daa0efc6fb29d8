import type { WorkerTask } from '../contracts/executor.js'
import { describeThrown } from '../internal/describe.js'
import { RUN_FRAME, RUN_SLOTS } from '../protocol/messages.js'
import type { MainMessage } from '../protocol/messages.js'
import type { Channel } from './channel.js'

/**
 * What the main side posts to one worker, batched: the runs of one turn of the
 * event loop travel as one flat RunFrame, and the control messages (aborts) in
 * one post after it. Nothing per run but the frame's slots: no object, no closure.
 */
export class FrameWriter {
  private frame: unknown[] = [RUN_FRAME]
  private controls: MainMessage[] = []
  private transfer: object[] | undefined
  private queued = false
  private closed = false
  private readonly flushLater = (): void => this.flush()

  constructor(
    private readonly channel: Channel,
    /** A run whose input could not be posted: it fails alone, with `error`. */
    private readonly onUnsendable: (runId: number, error: TypeError) => void,
  ) {}

  /** Adds one run to the next frame. */
  run(id: number, task: WorkerTask, input: unknown): void {
    this.frame.push(id, task.id, task.name, input, task.attempt, task.key)
    const transfer = task.transfer
    if (transfer !== undefined && transfer.length > 0 && this.channel.transfers) (this.transfer ??= []).push(...transfer)
    this.queue()
  }

  /** Adds a control message, posted after the runs held. */
  control(message: MainMessage): void {
    this.controls.push(message)
    this.queue()
  }

  /** Posts the runs held (one frame), then the control messages; a run whose input cannot be cloned fails only its own task. */
  flush(): void {
    this.queued = false
    const frame = this.frame
    const transfer = this.transfer
    const controls = this.controls
    if (frame.length > 1) {
      this.frame = [RUN_FRAME]
      this.transfer = undefined
    }
    if (controls.length > 0) this.controls = []
    if (this.closed) return
    if (frame.length > 1) this.postRuns(frame, transfer)
    if (controls.length > 0) this.channel.post(controls.length === 1 ? controls[0]! : controls)
  }

  /** Drops what is held and posts nothing more: the worker is gone. */
  close(): void {
    this.closed = true
    this.frame = [RUN_FRAME]
    this.controls = []
    this.transfer = undefined
  }

  private queue(): void {
    if (!this.queued) {
      this.queued = true
      queueMicrotask(this.flushLater)
    }
  }

  private postRuns(frame: unknown[], transfer: object[] | undefined): void {
    try {
      this.channel.post(frame, transfer)
      return
    } catch {
      // Something in the frame cannot be cloned: send one by one to find it.
    }
    for (let i = 1; i + RUN_SLOTS <= frame.length; i += RUN_SLOTS) {
      const id = frame[i] as number
      const input = frame[i + 3]
      try {
        this.channel.post([RUN_FRAME, ...frame.slice(i, i + RUN_SLOTS)], transfer === undefined ? undefined : transferOf(input, transfer))
      } catch (error) {
        const name = frame[i + 2] as string | undefined
        this.onUnsendable(
          id,
          new TypeError(`Task ${(frame[i + 1] as number | undefined) ?? id}${name === undefined ? '' : ` (${name})`}: its input could not be sent to the worker: ${describeThrown(error)}`, {
            cause: error,
          }),
        )
      }
    }
  }
}

/** The transfer list entries that a single run's input holds (used when a frame had to be split). */
function transferOf(input: unknown, transfer: readonly object[]): object[] | undefined {
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
  visit(input, 0)
  return found.length > 0 ? found : undefined
}
