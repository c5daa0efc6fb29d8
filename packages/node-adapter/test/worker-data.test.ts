// workerData reaches every worker whole, at any size and for every value the
// worker kind can carry (threads: structured clone; processes: over the IPC
// channel, structured clone or JSON), and leaves no trace in the environment:
// a child process gets it as its first message, never as an environment
// variable (which capped it at about 128 KiB, E2BIG, and showed it to every
// process the worker starts).
import { createHash, randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { WorkerStartError } from '@poolkit/core'
import type { Executor } from '@poolkit/core'
import { processes, threads } from '../src/index.js'
import { CHILD_PRELOAD } from '../src/internal/channel.js'
import { WORKER_DATA_KEY, WORKER_DATA_REPLY, WORKER_DATA_REQUEST } from '../src/internal/worker-data.js'
import type { ProcessesOptions, ThreadsOptions } from '../src/index.js'
import { execArgv, fixture } from './helpers.js'
import { openPool } from './support.js'

interface Variant {
  readonly name: string
  readonly structured: boolean
  executor(file: string, options?: ThreadsOptions & ProcessesOptions): Executor<any, any>
}

const variants: readonly Variant[] = [
  { name: 'threads', structured: true, executor: (file, options) => threads(fixture(file), { execArgv, ...options }) },
  { name: 'processes', structured: true, executor: (file, options) => processes(fixture(file), { execArgv, ...options }) },
  {
    name: "processes (serialization: 'json')",
    structured: false,
    executor: (file, options) => processes(fixture(file), { execArgv, serialization: 'json', ...options }),
  },
]

const MiB = 1024 * 1024

/** About `bytes` of JSON: distinct rows, so a cut or reordered copy changes the digest; the secret once. */
function dataOf(bytes: number, secret: string): { secret: string; rows: string[] } {
  const rows: string[] = []
  for (let size = 0, i = 0; size < bytes; i++) {
    const row = `row ${i} ${'x'.repeat(96)}`
    rows.push(row)
    size += row.length + 3
  }
  return { secret, rows }
}

const digest = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex')

describe.each(variants)('workerData on $name', (variant) => {
  it.each([
    ['1 MiB', 1],
    ['16 MiB', 16],
  ])(
    'hands a %s workerData to every worker intact: the same at top level, in setup and in each task',
    async (_label, mib) => {
      const workerData = dataOf(mib * MiB, randomUUID())
      expect(JSON.stringify(workerData).length).toBeGreaterThanOrEqual(mib * MiB)
      const pool = openPool({ executor: variant.executor('worker-data.worker.mjs', { workerData }), concurrency: 2 })
      const expected = digest(workerData)
      const reports = await Promise.all([pool.run(null, { name: 'digests' }), pool.run(null, { name: 'digests' })])
      for (const report of reports) expect(report).toEqual({ top: expected, setup: expected, task: expected, same: true })
    },
    60_000,
  )

  it("leaves no trace of workerData in the worker's environment, and keeps options.env", async () => {
    const secret = `poolkit-secret-${randomUUID()}`
    const pool = openPool({
      executor: variant.executor('worker-data.worker.mjs', { workerData: { secret }, env: { ...process.env, POOLKIT_TEST_ENV: 'kept' } }),
      concurrency: 1,
    })
    const env = (await pool.run(null, { name: 'env' })) as Record<string, string>
    expect(env.POOLKIT_TEST_ENV).toBe('kept')
    expect(Object.keys(env).filter((key) => key.startsWith('POOLKIT_WORKER'))).toEqual([])
    expect(Object.entries(env).filter(([key, value]) => key.includes(secret) || value.includes(secret))).toEqual([])
    expect((await pool.run(null, { name: 'values' })).task).toEqual({ secret })
  })

  it('gives a process the worker forks neither the workerData nor a wait for it: it starts at once, with options.env', async () => {
    const secret = `poolkit-secret-${randomUUID()}`
    const pool = openPool({
      executor: variant.executor('worker-data.worker.mjs', { workerData: { secret }, env: { ...process.env, POOLKIT_TEST_ENV: 'kept' } }),
      concurrency: 1,
    })
    const child = (await pool.run(null, { name: 'forkChild' })) as { env: Record<string, string>; execArgv: string[]; workerData: unknown }
    expect(child.workerData).toBeNull()
    expect(child.env.POOLKIT_TEST_ENV).toBe('kept')
    expect(JSON.stringify(child)).not.toContain(secret)
    expect(Object.keys(child.env).filter((key) => key.startsWith('POOLKIT_WORKER'))).toEqual([])
  })

  it('fails the start of a worker that never calls expose() at once, with workerData given: no wait for startTimeout', async () => {
    const pool = openPool({
      executor: variant.executor('no-expose.worker.mjs', { workerData: dataOf(MiB, 'unused'), startTimeout: 15_000 }),
      concurrency: 1,
      maxStartFailures: 1,
    })
    const startedAt = performance.now()
    const error = await pool.ready().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(WorkerStartError)
    expect((error as WorkerStartError).cause).toMatchObject({ message: expect.stringMatching(/exited with code 0 before it reported ready/) })
    expect(performance.now() - startedAt).toBeLessThan(10_000)
  })
})

describe.each(variants.filter((v) => v.structured))('workerData on $name', (variant) => {
  it('carries what structured clone copies: Maps, Sets, Dates, typed arrays, BigInts, NaN, undefined', async () => {
    const workerData = {
      map: new Map<string, unknown>([
        ['a', 1n],
        ['b', { deep: [1, 2] }],
      ]),
      set: new Set(['x', 'y']),
      date: new Date(86_400_000),
      bytes: Uint8Array.of(1, 2, 3),
      floats: new Float64Array([0.5, -1]),
      big: 2n ** 70n,
      nan: Number.NaN,
      missing: undefined,
    }
    const pool = openPool({ executor: variant.executor('worker-data.worker.mjs', { workerData }), concurrency: 1 })
    const seen = await pool.run(null, { name: 'values' })
    expect(seen).toEqual({ top: workerData, setup: workerData, task: workerData })
    expect(seen.task.map).toBeInstanceOf(Map)
    expect(seen.task.bytes).toBeInstanceOf(Uint8Array)
    expect(seen.task.big).toBe(2n ** 70n)
  })
})

describe("processes() with serialization: 'json'", () => {
  const url = fixture('worker-data.worker.mjs')
  it.each([
    ['a BigInt', { n: 1n }, 'options.workerData.n', /BigInt/],
    ['a Map', { byName: new Map([['a', 1]]) }, 'options.workerData.byName', /Map/],
    ['a Set', { tags: [new Set([1])] }, 'options.workerData.tags[0]', /Set/],
    ['binary data', { bytes: Uint8Array.of(1) }, 'options.workerData.bytes', /Uint8Array/],
    ['a Buffer', { bytes: Buffer.from('a') }, 'options.workerData.bytes', /Buffer|Uint8Array/],
    ['NaN', { ratio: Number.NaN }, 'options.workerData.ratio', /NaN/],
    ['a function', { callback: () => 1 }, 'options.workerData.callback', /function/],
    [
      'a cycle',
      (() => {
        const o: Record<string, unknown> = {}
        o.self = o
        return o
      })(),
      'options.workerData',
      /circular/,
    ],
  ])('refuses workerData holding %s at creation, naming where it is and what to do', (_label, workerData, path, what) => {
    let error: unknown
    try {
      processes(url, { serialization: 'json', workerData })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(TypeError)
    const message = (error as Error).message
    expect(message).toContain(path)
    expect(message).toMatch(what)
    expect(message).toContain("serialization: 'json'")
    expect(message).toContain("'advanced'")
  })

  it('accepts JSON values (a Date goes as its ISO string)', () => {
    expect(processes(url, { serialization: 'json', workerData: { a: [1, 'two', null, true, { b: 1.5 }], at: new Date(0) } }).kind).toBe('processes')
  })
})

describe("the child's preload", () => {
  it('speaks the message types and keeps the data under the global name that the main side and getWorkerData() use', () => {
    const text = decodeURIComponent(CHILD_PRELOAD.slice('data:text/javascript,'.length))
    for (const name of [WORKER_DATA_REQUEST, WORKER_DATA_REPLY, WORKER_DATA_KEY]) expect(text).toContain(`'${name}'`)
  })
})
