import type { ServiceModel } from '../simulate.js'
import { describe, nonNegative, positive, share } from './sim-check.js'

/** One task's fate, drawn when it starts. */
export interface ServiceDraw {
  /** How long it runs (ms). */
  readonly ms: number
  /** Whether it ends with the 429-like error. */
  readonly fails: boolean
}

/** The service model, checked, as a function of the tasks running at once. */
export interface Service {
  /** Draws the run time and outcome of a task that starts with `running` tasks running (itself included). */
  draw(running: number, random: () => number): ServiceDraw
}

/** The error a simulated task fails with: a provider's 429 Too Many Requests. */
export class SimulatedOverloadError extends Error {
  /** The HTTP status it stands for. */
  readonly status = 429
  /** A stable code. */
  readonly code = 'ERR_SIM_OVERLOADED'
  constructor() {
    super('simulated provider is over its limit (429 Too Many Requests)')
    this.name = 'SimulatedOverloadError'
  }
}

/** Checks `options.service` and builds the model. */
export function createService(service: ServiceModel): Service {
  if (typeof service !== 'object' || service === null) {
    throw new TypeError(`options.service must be an object, got ${describe(service)}`)
  }
  const base = nonNegative('options.service.baseMs', service.baseMs)
  const knee = service.knee === undefined ? Infinity : positive('options.service.knee', service.knee)
  // By default a task past the knee adds baseMs / knee: throughput stays at
  // knee / baseMs however many run, the way a provider with a hidden limit
  // queues the excess on its side.
  const slope = service.slope === undefined ? (knee === Infinity ? 0 : base / knee) : nonNegative('options.service.slope', service.slope)
  const jitter = service.jitter === undefined ? 0 : share('options.service.jitter', service.jitter, true)
  const errorRate = service.errorRate === undefined ? 0 : share('options.service.errorRate', service.errorRate)
  return {
    draw(running, random) {
      const over = running > knee ? running - knee : 0
      let ms = base + slope * over
      if (jitter > 0) ms *= 1 + jitter * (2 * random() - 1)
      // With a knee, only tasks past it are refused (the provider's limit); without one, any task may be.
      const fails = errorRate > 0 && (knee === Infinity || over > 0) && random() < errorRate
      return { ms, fails }
    },
  }
}
