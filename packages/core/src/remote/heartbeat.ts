import type { Clock, TimerHandle } from '../clock.js'
import type { Channel } from './channel.js'

/**
 * Pings a worker on the clock every `timeout / 2` (10 ms to 1 s) and calls
 * `onSilent`, once, when no pong came for `timeout` ms. Its timer is unref'd:
 * a heartbeat never keeps a process alive by itself.
 */
export class Heartbeat {
  private timer: TimerHandle | undefined
  private lastPong = 0
  private seq = 0
  private readonly interval: number
  private readonly tick = (): void => {
    this.timer = undefined
    if (this.clock.now() - this.lastPong > this.timeout) {
      this.onSilent()
      return
    }
    // Armed before the ping, so a stop() from inside post() holds.
    this.arm()
    try {
      this.channel.post({ type: 'ping', seq: ++this.seq })
    } catch {
      // The exit handler deals with a worker that is gone.
    }
  }

  constructor(
    private readonly clock: Clock,
    private readonly channel: Channel,
    private readonly timeout: number,
    private readonly onSilent: () => void,
  ) {
    this.interval = Math.max(10, Math.min(timeout / 2, 1000))
  }

  start(): void {
    this.lastPong = this.clock.now()
    this.arm()
  }

  /** The worker answered. */
  pong(): void {
    this.lastPong = this.clock.now()
  }

  stop(): void {
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer)
      this.timer = undefined
    }
  }

  private arm(): void {
    this.timer = this.clock.setTimeout(this.tick, this.interval)
    this.clock.unref?.(this.timer)
  }
}
