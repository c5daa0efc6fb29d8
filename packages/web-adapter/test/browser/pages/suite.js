// The browser side of the tests: each export runs one scenario in this page and
// returns plain data for the node test to assert.
import { combineExecutors, createPool, TaskTimeoutError, WorkerExitError, WorkerStartError } from '@poolkit/core'
import { runExecutorConformance } from '@poolkit/core/testing'
import { webWorkers } from '@poolkit/web-adapter'

const tasksUrl = new URL('./tasks.worker.js', import.meta.url)

/** The factory form, written the way bundlers recognise it; counts its calls. */
let factoryCalls = 0
const tasksFactory = () => {
  factoryCalls++
  return new Worker(new URL('./tasks.worker.js', import.meta.url), { type: 'module' })
}

/** An error as data. */
function describeError(error) {
  return {
    name: error?.name,
    message: error?.message ?? String(error),
    code: error?.code,
    isWorkerExitError: error instanceof WorkerExitError,
    isTaskTimeoutError: error instanceof TaskTimeoutError,
    isWorkerStartError: error instanceof WorkerStartError,
  }
}

function settle(promise) {
  return promise.then(
    (value) => ({ ok: true, value }),
    (error) => ({ ok: false, error: describeError(error) }),
  )
}

/** Rejects if `promise` has not settled within `ms`, so one stuck test cannot hang the run. */
function deadline(promise, ms, what) {
  let timer
  return Promise.race([promise, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer))
}

/** Polls `read` every few ms until it returns something other than undefined, or throws after `ms`. */
async function poll(read, ms, what) {
  const end = performance.now() + ms
  for (;;) {
    const value = read()
    if (value !== undefined) return value
    if (performance.now() > end) throw new Error(`${what}: not seen within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/**
 * The executor conformance suite, collected with a tiny describe/it and run
 * in order, on workers given by URL (`form` 'url') or made by a factory
 * ('factory'). Returns one result per test, named "describe > it".
 */
export async function conformance(form = 'url') {
  const tests = []
  const path = []
  const api = {
    describe(name, body) {
      path.push(name)
      body()
      path.pop()
    },
    it(name, body) {
      tests.push({ name: [...path, name].join(' > '), body })
    },
  }
  const executor =
    form === 'factory'
      ? () => webWorkers(() => new Worker(new URL('./conformance.worker.js', import.meta.url), { type: 'module' }))
      : () => webWorkers(new URL('./conformance.worker.js', import.meta.url))
  runExecutorConformance('web-workers', executor, api, { crashFunction: 'crash' })
  const results = []
  for (const test of tests) {
    const start = performance.now()
    try {
      await deadline(Promise.resolve().then(test.body), 15_000, test.name)
      results.push({ name: test.name, ok: true, ms: performance.now() - start })
    } catch (error) {
      results.push({ name: test.name, ok: false, ms: performance.now() - start, message: String(error?.stack ?? error) })
    }
  }
  return results
}

/** Sends a buffer with `transfer` and gets one moved back with `transfer()`. */
export async function transferScenario() {
  const pool = createPool({ executor: webWorkers(tasksUrl), concurrency: 1 })
  try {
    const buffer = Uint8Array.from([1, 2, 3, 4, 250]).buffer
    const sent = pool.run(buffer, { name: 'sum', transfer: [buffer] })
    const received = await sent
    const detachedAfterSend = buffer.byteLength === 0 && (buffer.detached ?? true)
    const back = await pool.run(1024, { name: 'makeBuffer' })
    const backBytes = new Uint8Array(back)
    return {
      received,
      detachedAfterSend,
      back: { isArrayBuffer: back instanceof ArrayBuffer, byteLength: back.byteLength, first: backBytes[1], last: backBytes[1023] },
      detachedInWorker: await pool.run(null, { name: 'sentBackDetached' }),
    }
  } finally {
    await pool.close()
  }
}

/** A worker throws an uncaught error while running a task. */
export async function crashScenario() {
  const pool = createPool({ executor: webWorkers(tasksUrl), concurrency: 1 })
  const events = []
  pool.on('error', (error) => events.push(describeError(error)))
  try {
    const before = await pool.run(null, { name: 'whoami' })
    const crashed = await deadline(settle(pool.run(null, { name: 'crashLater' })), 10_000, 'crashLater')
    const after = await deadline(pool.run(null, { name: 'whoami' }), 10_000, 'whoami after the crash')
    const echo = await pool.run('still serving', { name: 'echo' })
    return { before, crashed, after, echo, events, workers: pool.stats().workers.total }
  } finally {
    await pool.close()
  }
}

/** A task that spins past the pool's `taskTimeout`. */
export async function timeoutScenario() {
  const pool = createPool({ executor: webWorkers(tasksUrl), concurrency: 1, taskTimeout: 200 })
  try {
    const before = await pool.run(null, { name: 'whoami' })
    const start = performance.now()
    const spun = await deadline(settle(pool.run(10_000, { name: 'spin' })), 10_000, 'spin')
    const settledAfterMs = performance.now() - start
    const after = await deadline(pool.run(null, { name: 'whoami' }), 10_000, 'whoami after the timeout')
    const echo = await pool.run('still serving', { name: 'echo' })
    return { before, spun, settledAfterMs, after, echo }
  } finally {
    await pool.destroy()
  }
}

/** A worker script that throws at its top level. */
export async function loadErrorScenario() {
  const pool = createPool({ executor: webWorkers(new URL('./load-error.worker.js', import.meta.url)), concurrency: 1 })
  const events = []
  pool.on('error', (error) => events.push(describeError(error)))
  const result = await deadline(settle(pool.run(1)), 20_000, 'run on a worker that fails to load')
  await pool.destroy()
  return { result, events }
}

/**
 * The factory form: called once per worker started (replacements included),
 * its workers run the tasks; a factory that returns something other than a
 * Worker fails each start and the pool gives up with WorkerStartError; `type`
 * next to a factory is refused at creation.
 */
export async function factoryScenario() {
  factoryCalls = 0
  const pool = createPool({ executor: webWorkers(tasksFactory), concurrency: 2 })
  const events = []
  pool.on('error', (error) => events.push(describeError(error)))
  let started, crashed, echo, afterCrash
  try {
    await pool.ready()
    started = factoryCalls
    crashed = await deadline(settle(pool.run(null, { name: 'crashLater' })), 10_000, 'crashLater')
    echo = await deadline(pool.run('from a factory worker', { name: 'echo' }), 10_000, 'echo after the crash')
    await deadline(pool.ready(), 10_000, 'ready after the crash')
    afterCrash = factoryCalls
  } finally {
    await pool.close()
  }
  const executor = pool.stats().executor

  const wrong = createPool({ executor: webWorkers(() => new MessageChannel().port1), concurrency: 1, maxStartFailures: 2 })
  const wrongEvents = []
  wrong.on('error', (error) => wrongEvents.push(describeError(error)))
  const notAWorker = await deadline(settle(wrong.run(1)), 10_000, 'run on a factory that returns a MessagePort')
  await wrong.destroy()

  let typeWithFactory
  try {
    webWorkers(tasksFactory, { type: 'module' })
    typeWithFactory = { threw: false }
  } catch (error) {
    typeWithFactory = { threw: true, ...describeError(error) }
  }
  return { started, crashed, echo, afterCrash, executor, events, notAWorker, notAWorkerCause: wrongEvents[0], typeWithFactory }
}

/** In a page without `Worker`: the fallback runs the functions here, and no fallback is an error at creation. */
export async function fallbackScenario() {
  const workerExists = typeof globalThis.Worker !== 'undefined'
  const pool = createPool({
    executor: webWorkers(tasksUrl, {
      fallback: {
        add: ({ a, b }) => a + b,
        onMainThread: () => typeof document !== 'undefined',
      },
    }),
  })
  try {
    const sum = await pool.run({ a: 2, b: 3 }, { name: 'add' })
    const onMainThread = await pool.run(null, { name: 'onMainThread' })
    const unknown = await settle(pool.run(null, { name: 'nope' }))
    let withoutFallback
    try {
      webWorkers(tasksUrl)
      withoutFallback = { threw: false }
    } catch (error) {
      withoutFallback = { threw: true, ...describeError(error) }
    }
    // The factory form with the same fallback: the factory is never called.
    factoryCalls = 0
    const viaFactory = createPool({ executor: webWorkers(tasksFactory, { fallback: { add: ({ a, b }) => a + b } }) })
    const factorySum = await viaFactory.run({ a: 4, b: 5 }, { name: 'add' })
    const factoryExecutor = viaFactory.stats().executor
    await viaFactory.close()
    return { workerExists, sum, onMainThread, unknown, executor: pool.stats().executor, withoutFallback, factorySum, factoryExecutor, factoryCalls }
  } finally {
    await pool.close()
  }
}

/**
 * `runAll` of `count` CPU tasks (about 2 ms each) with a progress bar, while a
 * PerformanceObserver records the main thread's long tasks (over 50 ms). Then a
 * deliberate 120 ms block on the main thread checks that the observer sees long
 * tasks at all in this browser.
 */
export async function responsiveness(count = 1000) {
  const entries = []
  const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()))
  observer.observe({ type: 'longtask' })
  const progress = document.getElementById('progress')
  const pool = createPool({ executor: webWorkers(tasksUrl) })
  let progressCalls = 0
  try {
    await pool.ready()
    const workers = pool.stats().workers.total
    // A second measure with no 50 ms floor: the longest gap between turns of a
    // setTimeout(0) chain bounds the longest main-thread task from above.
    let maxGapMs = 0
    let ticking = true
    let last = performance.now()
    const tick = () => {
      const now = performance.now()
      maxGapMs = Math.max(maxGapMs, now - last)
      last = now
      if (ticking) setTimeout(tick, 0)
    }
    setTimeout(tick, 0)
    const start = performance.now()
    const hashes = await pool.runAll(
      Array.from({ length: count }, (_, i) => i),
      {
        name: 'work',
        onProgress: (done, total) => {
          progressCalls++
          progress.max = total ?? count
          progress.value = done
        },
      },
    )
    const elapsedMs = performance.now() - start
    ticking = false
    // Taken now: the control block below must not count.
    const longestGapMs = maxGapMs
    // Long tasks are reported after they end: let the last task finish, then read what is queued.
    await new Promise((resolve) => setTimeout(resolve, 0))
    entries.push(...observer.takeRecords())
    const during = entries.map((e) => e.duration)
    // The control: block the main thread, then wait (polling, with a deadline) for the observer to report it.
    const blockStart = performance.now()
    while (performance.now() - blockStart < 120) {
      // Busy on purpose.
    }
    const control = await poll(
      () => {
        entries.push(...observer.takeRecords())
        const seen = entries.slice(during.length).map((e) => e.duration)
        return seen.length > 0 ? Math.max(...seen) : undefined
      },
      3000,
      'the 120 ms control long task',
    )
    return {
      count: hashes.length,
      allNumbers: hashes.every((h) => typeof h === 'number'),
      workers,
      elapsedMs,
      progressCalls,
      progressValue: progress.value,
      longTasks: during.length,
      longestTaskMs: during.length > 0 ? Math.max(...during) : 0,
      maxGapMs: longestGapMs,
      controlLongestMs: control,
    }
  } finally {
    observer.disconnect()
    await pool.close()
  }
}

/**
 * Workers that differ, in the browser: one Web Worker whose setup declares 'gpu'
 * next to two that declare nothing, in one pool (combineExecutors), with a
 * selector that sends tasks requiring 'gpu' only where it is declared.
 */
export async function capabilitiesScenario() {
  const caps = (name) => () => new Worker(new URL('./caps.worker.js', import.meta.url), { type: 'module', name })
  const seen = []
  const pool = createPool({
    executor: combineExecutors([
      { executor: webWorkers(caps('gpu')), workers: 1 },
      { executor: webWorkers(caps('')), workers: 2 },
    ]),
    selector: {
      select(candidates, task) {
        const needs = task.requires ?? []
        return candidates.find((worker) => needs.every((c) => worker.capabilities.includes(c)))
      },
    },
    observers: [{ onWorkerStarted: (_pool, worker) => seen.push([...worker.capabilities]) }],
  })
  try {
    await deadline(pool.ready(), 10_000, 'ready')
    const gpu = await deadline(Promise.all(Array.from({ length: 10 }, () => pool.run(null, { name: 'where', requires: ['gpu'] }))), 10_000, 'gpu tasks')
    const any = await deadline(Promise.all(Array.from({ length: 30 }, () => pool.run(null, { name: 'where' }))), 10_000, 'other tasks')
    return { workers: seen.sort((a, b) => b.length - a.length), gpuNames: [...new Set(gpu.map((r) => r.name))], anyCount: any.length }
  } finally {
    await pool.close()
  }
}
