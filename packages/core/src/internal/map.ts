import type { RunOptions, TaskResult } from '../contracts/task.js'
import type { MapOptions, RunAllOptions } from '../pool-options.js'
import * as check from './validate.js'

interface Submitter<I, O> {
  submit(input: I, callback: (result: TaskResult<O>) => void, options?: RunOptions): number
}

interface Drive {
  /** Stops submitting and aborts what is in flight. */
  stop(reason?: unknown): void
}

function windowOf(options: MapOptions | undefined, fallback: number): number {
  return options?.window === undefined ? fallback : check.positiveInteger('options.window', options.window)
}

/**
 * Pulls inputs and submits them, at most `window` unacknowledged at a time, and
 * reports each result with its input index. `ack()` frees a window place (the
 * consumer took a result). Every task shares one AbortController, linked to the
 * caller's signal, so stopping cancels whatever is still queued or running.
 */
function drive<I, O>(
  pool: Submitter<I, O>,
  inputs: Iterable<I> | AsyncIterable<I>,
  options: MapOptions | undefined,
  window: number,
  onResult: (index: number, result: TaskResult<O>) => void,
  onEnd: (error?: unknown) => void,
): Drive & { ack(): void } {
  const controller = new AbortController()
  const userSignal = options?.signal
  // The caller's abort stops pulling inputs and cancels what is in flight.
  const onUserAbort = (): void => stop(userSignal!.reason)
  const taskOptions: RunOptions = {
    signal: controller.signal,
    priority: options?.priority,
    timeout: options?.timeout,
    key: options?.key,
    name: options?.name,
  }
  const asyncIterable = (inputs as AsyncIterable<I>)[Symbol.asyncIterator] !== undefined
  const iterator: Iterator<I> | AsyncIterator<I> = asyncIterable ? (inputs as AsyncIterable<I>)[Symbol.asyncIterator]() : (inputs as Iterable<I>)[Symbol.iterator]()
  let index = 0
  let outstanding = 0
  let pulling = false
  let exhausted = false
  let stopped = false
  let pending = 0

  const finish = (error?: unknown): void => {
    if (stopped) return
    stopped = true
    userSignal?.removeEventListener('abort', onUserAbort)
    onEnd(error)
  }

  const submitOne = (value: I): void => {
    const i = index++
    outstanding++
    pending++
    pool.submit(
      value,
      (result) => {
        pending--
        onResult(i, result)
        if (exhausted && pending === 0) finish()
      },
      taskOptions,
    )
  }

  const pull = (): void => {
    if (pulling || stopped || exhausted) return
    if (asyncIterable) {
      if (outstanding >= window) return
      pulling = true
      ;(iterator as AsyncIterator<I>).next().then(
        (r) => {
          pulling = false
          if (stopped) return
          if (r.done === true) {
            exhausted = true
            if (pending === 0) finish()
            return
          }
          submitOne(r.value)
          pull()
        },
        (error: unknown) => {
          pulling = false
          exhausted = true
          stop(error)
        },
      )
      return
    }
    pulling = true
    try {
      while (outstanding < window && !stopped) {
        const r = (iterator as Iterator<I>).next()
        if (r.done === true) {
          exhausted = true
          if (pending === 0) finish()
          break
        }
        submitOne(r.value)
      }
    } catch (error) {
      exhausted = true
      pulling = false
      stop(error)
      return
    }
    pulling = false
  }

  const stop = (reason?: unknown): void => {
    if (!exhausted) {
      exhausted = true
      try {
        // The source's own cleanup failing (sync or async) does not change the outcome.
        Promise.resolve(iterator.return?.()).catch(() => {})
      } catch {
        // As above, for a return() that throws at once.
      }
    }
    controller.abort(reason)
    finish(reason)
  }

  if (userSignal?.aborted === true) {
    // Aborted before anything started: start nothing.
    queueMicrotask(() => stop(userSignal.reason))
  } else {
    userSignal?.addEventListener('abort', onUserAbort, { once: true })
    queueMicrotask(pull)
  }
  return {
    ack() {
      outstanding--
      pull()
    },
    stop,
  }
}

/** `pool.map()`: yields results in input order, or as completed. */
export async function* mapResults<I, O>(
  pool: Submitter<I, O>,
  inputs: Iterable<I> | AsyncIterable<I>,
  options: MapOptions | undefined,
  defaultWindow: number,
): AsyncGenerator<TaskResult<O>, void, undefined> {
  checkInputs(inputs)
  const window = windowOf(options, defaultWindow)
  const ordered = options?.ordered !== false
  const buffered = new Map<number, TaskResult<O>>()
  const completed: TaskResult<O>[] = []
  let nextIndex = 0
  let ended = false
  let failure: unknown
  let wake: (() => void) | undefined

  const driver = drive(
    pool,
    inputs,
    options,
    window,
    (index, result) => {
      if (ordered) buffered.set(index, result)
      else completed.push(result)
      wake?.()
    },
    (error) => {
      ended = true
      failure = error
      wake?.()
    },
  )
  let finished = false
  try {
    for (;;) {
      if (ordered) {
        while (buffered.has(nextIndex)) {
          const result = buffered.get(nextIndex)!
          buffered.delete(nextIndex++)
          driver.ack()
          yield result
        }
      } else {
        while (completed.length > 0) {
          const result = completed.shift()!
          driver.ack()
          yield result
        }
      }
      if (ended && buffered.size === 0 && completed.length === 0) {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- the source's or the signal's error, passed on as it was thrown
        if (failure !== undefined) throw failure
        finished = true
        return
      }
      await new Promise<void>((resolve) => (wake = resolve))
      wake = undefined
    }
  } finally {
    // Leaving early (break, throw in the loop body) cancels what is in flight.
    if (!finished) driver.stop(new MapAbortError('The map() consumer stopped early'))
  }
}

/** `pool.runAll()`: the outputs in input order, or the first failure. */
export function runAllInputs<I, O>(pool: Submitter<I, O>, inputs: Iterable<I> | AsyncIterable<I>, options: RunAllOptions | undefined, defaultWindow: number): Promise<O[]> {
  checkInputs(inputs)
  const window = windowOf(options, defaultWindow)
  const onProgress = options?.onProgress
  if (onProgress !== undefined) check.func('options.onProgress', onProgress)
  const total = knownLength(inputs)
  return new Promise<O[]>((resolve, reject) => {
    const outputs: O[] = []
    let done = 0
    let failed = false
    const driver = drive(
      pool,
      inputs,
      options,
      window,
      (index, result) => {
        if (failed) return
        if (!result.ok) {
          failed = true
          driver.stop(result.error)
          reject(result.error)
          return
        }
        outputs[index] = result.value
        done++
        driver.ack()
        if (onProgress !== undefined) onProgress(done, total)
      },
      (error) => {
        if (failed) return
        if (error !== undefined) {
          failed = true
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the source's or the signal's error, passed on as it was thrown
          reject(error)
        } else {
          resolve(outputs)
        }
      },
    )
  })
}

function checkInputs(inputs: unknown): void {
  if (
    inputs === null ||
    (typeof inputs !== 'object' && typeof inputs !== 'string') ||
    (typeof (inputs as Iterable<unknown>)[Symbol.iterator] !== 'function' && typeof (inputs as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function')
  ) {
    throw new TypeError(`inputs must be an iterable or async iterable, got ${check.describe(inputs)}`)
  }
}

function knownLength(inputs: unknown): number | undefined {
  if (Array.isArray(inputs)) return inputs.length
  const size = (inputs as { size?: unknown }).size
  if (typeof size === 'number') return size
  const length = (inputs as { length?: unknown }).length
  return typeof length === 'number' ? length : undefined
}

/** The reason given to tasks cancelled because their consumer went away: an AbortError, as fetch uses. */
class MapAbortError extends Error {
  override name = 'AbortError'
}
