// Worker files in TypeScript, on every supported Node (this suite runs on 20):
// the pool starts a .mjs trampoline that loads the .ts file with tsx's
// tsImport. (`execArgv: ['--import', 'tsx']` on a .ts file fails on threads with
// `Unknown file extension ".ts"` on Node 20 and 22.12, as a bare `new Worker`
// with those flags does; the README says why and gives this recipe.)
import { describe, expect, it } from 'vitest'
import { WorkerStartError } from '@poolkit/core'
import { kinds, openPool } from './support.js'

/** Registered under the worker's class name, so its errors come back as instances. */
class QuotaError extends Error {
  limit?: number
}

describe.each(kinds)('a TypeScript worker file on $name, through a tsx trampoline', (kind) => {
  const settings = { salutation: 'Hello', shout: true }

  it('runs the functions the .ts file exposes, with its types, enum and .ts imports compiled', async () => {
    const pool = openPool<string, string>({ executor: kind.executor('ts-tasks.worker.mjs', { workerData: settings }), concurrency: 2 })
    expect(await Promise.all([pool.run('Ada', { name: 'greet' }), pool.run('Alan', { name: 'greet' })])).toEqual(['HELLO, ADA', 'HELLO, ALAN'])
    await pool.close()
  })

  it('hands getWorkerData() the workerData at the .ts file top level and in tasks', async () => {
    const pool = openPool({ executor: kind.executor('ts-tasks.worker.mjs', { workerData: settings }), concurrency: 1 })
    expect(await pool.run(null, { name: 'settings' })).toEqual({ atTop: settings, inTask: settings })
  })

  it('brings an error thrown in the .ts file back to the caller, as a registered class', async () => {
    const pool = openPool<number, number>({ executor: kind.executor('ts-tasks.worker.mjs', { workerData: settings, errorClasses: [QuotaError] }), concurrency: 1 })
    expect(await pool.run(1, { name: 'check' })).toBe(2)
    const error = await pool.run(5, { name: 'check' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(QuotaError)
    expect(error).toMatchObject({ name: 'QuotaError', message: 'used 5 of 3', limit: 3 })
    // The worker lives on after a task's error.
    expect(await pool.run(3, { name: 'check' })).toBe(0)
  })

  it('fails the start with WorkerStartError carrying the error a .ts file throws at its top level', async () => {
    const pool = openPool({ executor: kind.executor('ts-throws-at-top.worker.mjs'), concurrency: 1, maxStartFailures: 1 })
    const error = await pool.ready().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WorkerStartError)
    expect(String((error as WorkerStartError).cause)).toContain('the TypeScript worker refuses to start')
  })
})
