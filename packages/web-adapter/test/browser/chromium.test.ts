// The adapter in a real browser: headless Debian Chromium driven by
// playwright-core. One file, so the scenarios run one after another and the
// responsiveness figure is not taken while other browsers compete for the CPU.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { runExecutorConformance } from '@poolkit/core/testing'
import { startBrowser } from './browser.js'
import type { BrowserSession } from './browser.js'

interface ConformanceResult {
  name: string
  ok: boolean
  ms: number
  message?: string
}

interface ErrorData {
  name: string
  message: string
  code?: string
  isWorkerExitError: boolean
  isTaskTimeoutError: boolean
  isWorkerStartError: boolean
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: ErrorData }

let session: BrowserSession
let page: Page

beforeAll(async () => {
  session = await startBrowser()
  page = await session.open('index.html')
}, 60_000)

afterAll(async () => {
  await session?.close()
}, 30_000)

describe('Chromium', () => {
  it('is the headless Debian Chromium the figures are reported for', () => {
    const version = session.browser.version()
    console.info(`[web-adapter] Chromium ${version}`)
    expect(version).toMatch(/^\d+\.\d+\.\d+\.\d+$/)
  })
})

// The suite's test names, collected in node so each one is a test here; the
// suite itself runs once, in the page, and each test asserts its own result.
const names: string[] = []
{
  const path: string[] = []
  runExecutorConformance(
    'web-workers',
    () => {
      throw new Error('not run in node')
    },
    {
      describe: (name, body) => {
        path.push(name)
        body()
        path.pop()
      },
      it: (name) => void names.push([...path, name].join(' > ')),
    },
    { crashFunction: 'crash' },
  )
}

// The suite runs twice: on workers given by URL, and on workers a factory makes.
describe.each([
  ['a worker URL', 'url'],
  ['a worker factory', 'factory'],
])('executor conformance in Chromium, with %s', (_label, form) => {
  let results: Map<string, ConformanceResult>
  beforeAll(async () => {
    const list = (await page.evaluate(`window.suite.conformance('${form}')`)) as ConformanceResult[]
    results = new Map(list.map((r) => [r.name, r]))
  }, 180_000)

  it('runs every test of the suite in the page', () => {
    expect([...results.keys()]).toEqual(names)
  })
  for (const name of names) {
    it(`passes: ${name}`, () => {
      const result = results.get(name)
      expect(result, 'ran in the page').toBeDefined()
      expect(result!.message ?? 'passed').toBe('passed')
      expect(result!.ok).toBe(true)
    })
  }
})

describe('webWorkers() in Chromium', () => {
  it('moves an ArrayBuffer to the worker (the source is detached after sending) and moves a result back with transfer()', async () => {
    const r = (await page.evaluate('window.suite.transferScenario()')) as {
      received: { byteLength: number; sum: number }
      detachedAfterSend: boolean
      back: { isArrayBuffer: boolean; byteLength: number; first: number; last: number }
      detachedInWorker: boolean
    }
    expect(r.received).toEqual({ byteLength: 5, sum: 260 })
    expect(r.detachedAfterSend).toBe(true)
    expect(r.back).toEqual({ isArrayBuffer: true, byteLength: 1024, first: 1, last: 1023 & 0xff })
    expect(r.detachedInWorker).toBe(true)
  }, 30_000)

  it('fails the running task with WorkerExitError when its worker throws an uncaught error, and runs the next task on a replacement', async () => {
    const r = (await page.evaluate('window.suite.crashScenario()')) as {
      before: string
      crashed: Settled<unknown>
      after: string
      echo: string
      events: ErrorData[]
      workers: number
    }
    expect(r.crashed.ok).toBe(false)
    const error = (r.crashed as { error: ErrorData }).error
    expect(error.isWorkerExitError).toBe(true)
    expect(r.after).not.toBe(r.before)
    expect(r.echo).toBe('still serving')
    expect(r.workers).toBe(1)
    expect(r.events.some((e) => e.isWorkerExitError)).toBe(true)
  }, 30_000)

  it('times out a spinning task with TaskTimeoutError by terminating its worker, and keeps serving on a replacement', async () => {
    const r = (await page.evaluate('window.suite.timeoutScenario()')) as {
      before: string
      spun: Settled<unknown>
      settledAfterMs: number
      after: string
      echo: string
    }
    expect(r.spun.ok).toBe(false)
    expect((r.spun as { error: ErrorData }).error.isTaskTimeoutError).toBe(true)
    // 200 ms timeout against a 10 s spin: settled at the timeout, not when the spin ended.
    expect(r.settledAfterMs).toBeLessThan(2_000)
    expect(r.after).not.toBe(r.before)
    expect(r.echo).toBe('still serving')
  }, 30_000)

  it('reports a worker that fails to load and gives up with WorkerStartError after retrying', async () => {
    const r = (await page.evaluate('window.suite.loadErrorScenario()')) as { result: Settled<unknown>; events: ErrorData[] }
    expect(r.result.ok).toBe(false)
    const error = (r.result as { error: ErrorData }).error
    expect(error.isWorkerStartError).toBe(true)
    expect(error.message).toContain('fails at load')
  }, 60_000)

  it('calls a worker factory once per worker started, replacements included, and gives up with WorkerStartError when it returns something other than a Worker', async () => {
    const r = (await page.evaluate('window.suite.factoryScenario()')) as {
      started: number
      crashed: Settled<unknown>
      echo: string
      afterCrash: number
      executor: string
      events: ErrorData[]
      notAWorker: Settled<unknown>
      notAWorkerCause: ErrorData | undefined
      typeWithFactory: { threw: boolean; name?: string; message?: string }
    }
    expect(r.started).toBe(2)
    expect(r.crashed.ok).toBe(false)
    expect((r.crashed as { error: ErrorData }).error.isWorkerExitError).toBe(true)
    expect(r.echo).toBe('from a factory worker')
    expect(r.afterCrash).toBe(3)
    expect(r.executor).toBe('web-workers')
    expect(r.notAWorker.ok).toBe(false)
    const error = (r.notAWorker as { error: ErrorData }).error
    expect(error.isWorkerStartError).toBe(true)
    expect(error.message).toContain('must return a Worker')
    expect(r.notAWorkerCause).toMatchObject({ name: 'TypeError' })
    expect(r.notAWorkerCause!.message).toContain('The worker factory passed to webWorkers() must return a Worker')
    expect(r.typeWithFactory).toMatchObject({ threw: true, name: 'RangeError' })
    expect(r.typeWithFactory.message).toContain('options.type applies to a worker URL only')
  }, 60_000)

  it("takes each Web Worker's capabilities from what its setup returned, and a pool of two kinds (combineExecutors) routes tasks that require one only to the worker that has it", async () => {
    const r = (await page.evaluate('window.suite.capabilitiesScenario()')) as { workers: string[][]; gpuNames: string[]; anyCount: number }
    expect(r.workers).toEqual([['gpu'], [], []])
    expect(r.gpuNames).toEqual(['gpu'])
    expect(r.anyCount).toBe(30)
  })

  it('keeps the page responsive: runAll of 1,000 CPU tasks with onProgress leaves no main-thread task of 50 ms or more', async () => {
    const r = (await page.evaluate('window.suite.responsiveness(1000)')) as {
      count: number
      allNumbers: boolean
      workers: number
      elapsedMs: number
      progressCalls: number
      progressValue: number
      longTasks: number
      longestTaskMs: number
      maxGapMs: number
      controlLongestMs: number
    }
    console.info(
      `[web-adapter] runAll 1000 x ~2 ms on ${r.workers} worker(s): ${r.elapsedMs.toFixed(0)} ms; long tasks: ${r.longTasks}, longest ${r.longestTaskMs.toFixed(1)} ms; ` +
        `longest gap between main-thread turns ${r.maxGapMs.toFixed(1)} ms; control block seen as ${r.controlLongestMs.toFixed(1)} ms`,
    )
    expect(r.count).toBe(1000)
    expect(r.allNumbers).toBe(true)
    expect(r.progressCalls).toBe(1000)
    expect(r.progressValue).toBe(1000)
    // The observer works here: it saw the deliberate 120 ms block.
    expect(r.controlLongestMs).toBeGreaterThanOrEqual(100)
    expect(r.longestTaskMs).toBeLessThan(50)
  }, 60_000)
})

describe('webWorkers() in Chromium without Worker', () => {
  it('runs the fallback functions on the main thread (with a URL or a factory, which is never called), says so in stats().executor, and fails at creation without a fallback', async () => {
    const fallbackPage = await session.open('fallback.html')
    const r = (await fallbackPage.evaluate('window.suite.fallbackScenario()')) as {
      workerExists: boolean
      sum: number
      onMainThread: boolean
      unknown: Settled<unknown>
      executor: string
      withoutFallback: { threw: boolean; code?: string; message?: string }
      factorySum: number
      factoryExecutor: string
      factoryCalls: number
    }
    expect(r.workerExists).toBe(false)
    expect(r.sum).toBe(5)
    expect(r.onMainThread).toBe(true)
    expect(r.unknown.ok).toBe(false)
    expect((r.unknown as { error: ErrorData }).error.message).toContain('nope')
    expect(r.executor).toBe('web-workers (in-process fallback)')
    expect(r.withoutFallback).toMatchObject({ threw: true, code: 'ERR_WEB_WORKERS_UNSUPPORTED' })
    // With a worker factory the fallback runs the same way, and the factory is never called.
    expect(r.factorySum).toBe(9)
    expect(r.factoryExecutor).toBe('web-workers (in-process fallback)')
    expect(r.factoryCalls).toBe(0)
  }, 30_000)
})
