import { describe, expect, it } from 'vitest'
import { kinds, openPool, rejectionOf } from './support.js'

/** The main side's class for the worker's ValidationError (same name, registered through errorClasses). */
class ValidationError extends Error {
  declare code: string
  declare field: string
}

describe.each(kinds)('errors thrown in $name workers', (kind) => {
  it('come back as an instance of a class registered in options.errorClasses, with message, stack, code, cause and own fields', async () => {
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs', { errorClasses: [ValidationError] }), concurrency: 1 })
    const error = await rejectionOf(pool.run('email', { name: 'throwValidation' }))
    expect(error).toBeInstanceOf(ValidationError)
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('ValidationError')
    expect(error.message).toBe('email is invalid')
    expect(error.code).toBe('E_VALIDATION')
    expect(error.field).toBe('email')
    // The stack is the worker's, pointing into the worker file.
    expect(error.stack).toContain('ValidationError: email is invalid')
    expect(error.stack).toContain('tasks.worker.mjs')
    expect(error.cause).toBeInstanceOf(RangeError)
    expect(error.cause.message).toBe('out of range')
  })

  it('accept errorClasses as a map from name to class', async () => {
    const pool = openPool({
      executor: kind.executor('tasks.worker.mjs', { errorClasses: new Map([['ValidationError', ValidationError]]) }),
      concurrency: 1,
    })
    const error = await rejectionOf(pool.run('zip', { name: 'throwValidation' }))
    expect(error).toBeInstanceOf(ValidationError)
    expect(error.field).toBe('zip')
  })

  it('keep name, message, code and own fields when their class is not registered', async () => {
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs'), concurrency: 1 })
    const error = await rejectionOf(pool.run(null, { name: 'throwUnregistered' }))
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('QuotaError')
    expect(error.message).toBe('over quota')
    expect(error.code).toBe('E_QUOTA')
    expect(error.limit).toBe(10)
  })

  it('come back as the built-in class: a TypeError is a TypeError', async () => {
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs'), concurrency: 1 })
    const error = await rejectionOf(pool.run(null, { name: 'throwTypeError' }))
    expect(error).toBeInstanceOf(TypeError)
    expect(error.message).toBe('expected a string')
  })

  it('fail only their task: the worker keeps serving', async () => {
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs'), concurrency: 1 })
    const before = await pool.run(null, { name: 'identity' })
    await expect(pool.run(null, { name: 'throwTypeError' })).rejects.toThrow(TypeError)
    await expect(pool.run(null, { name: 'identity' })).resolves.toBe(before)
  })
})
