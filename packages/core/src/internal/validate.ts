// Option checks: each message names the option path and the value it got.
// The checks are public at `@poolkit/core/validate`; core's own code uses them
// under these short names.
import { checkDurationOrInfinity, checkFiniteDuration, checkFiniteNumber, checkOptionalAbortSignal, checkOptionalString, checkStringArray, describeValue } from '../validate.js'

export {
  checkBoolean as boolean,
  checkClock as clock,
  checkDurationOrInfinity as duration,
  checkFiniteNumber as finiteNumber,
  checkFunction as func,
  checkNonNegativeInteger as nonNegativeInteger,
  checkNonNegativeIntegerOrInfinity as nonNegativeIntegerOrInfinity,
  checkNumberAtLeast as numberAtLeast,
  checkObjectWith as objectWith,
  checkOneOf as oneOf,
  checkOptionalAbortSignal as abortSignal,
  checkOptionalBoolean as optionalBoolean,
  checkOptionalString as optionalString,
  checkOptionsObject as optionsObject,
  checkPositiveDurationOrInfinity as positiveDurationOrInfinity,
  checkPositiveInteger as positiveInteger,
  checkPositiveIntegerOrInfinity as positiveIntegerOrInfinity,
  checkStringArray as stringArray,
  describeValue as describe,
} from '../validate.js'

/** Checks the options of one task (run, submit, map, runAll); messages name `options.<field>`. */
export function runOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, got ${describeValue(options)}`)
  const o = options as Record<string, unknown>
  if (o.priority !== undefined) checkFiniteNumber('options.priority', o.priority)
  if (o.timeout !== undefined) checkDurationOrInfinity('options.timeout', o.timeout)
  checkOptionalString('options.key', o.key)
  checkOptionalString('options.name', o.name)
  if (o.requires !== undefined) checkStringArray('options.requires', o.requires)
  if (o.labels !== undefined) checkLabels(o.labels)
  if (o.deadline !== undefined) checkDeadline(o.deadline)
  if (o.deadlineMs !== undefined) {
    checkFiniteDuration('options.deadlineMs', o.deadlineMs)
    if (o.deadline !== undefined) throw new TypeError(`options.deadline and options.deadlineMs: give one, got both (${describeValue(o.deadline)} and ${describeValue(o.deadlineMs)})`)
  }
  if (o.minTimeLeftMs !== undefined) {
    checkFiniteDuration('options.minTimeLeftMs', o.minTimeLeftMs)
    if (o.deadline === undefined && o.deadlineMs === undefined) {
      throw new TypeError(
        `options.minTimeLeftMs needs options.deadline or options.deadlineMs (it is the least time before the deadline worth starting with), got ${describeValue(o.minTimeLeftMs)} without a deadline`,
      )
    }
  }
  if (o.signal !== undefined) checkOptionalAbortSignal('options.signal', o.signal)
  if (o.transfer !== undefined && !Array.isArray(o.transfer)) {
    throw new TypeError(`options.transfer must be an array, got ${describeValue(o.transfer)}`)
  }
}

/** `options.labels`: a plain object of strings. */
function checkLabels(labels: unknown): void {
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) throw new TypeError(`options.labels must be an object of strings, got ${describeValue(labels)}`)
  for (const [name, value] of Object.entries(labels)) {
    if (typeof value !== 'string') throw new TypeError(`options.labels.${name} must be a string, got ${describeValue(value)}`)
  }
}

/** `options.deadline`: a valid `Date`, or a finite number of milliseconds since the epoch. */
function checkDeadline(deadline: unknown): void {
  const ok = deadline instanceof Date ? !Number.isNaN(deadline.getTime()) : typeof deadline === 'number' && Number.isFinite(deadline)
  if (!ok) throw new TypeError(`options.deadline must be a Date or a finite number of milliseconds since the epoch, got ${describeValue(deadline)}`)
}
