import { describe, expect, it } from 'vitest'
import { readOptions, UsageError, type Options } from '../src/options.js'
import { rerunArgs } from '../src/rerun.js'

const read = (...argv: string[]): Options => {
  const options = readOptions(argv)
  if (options === 'help') throw new Error('unexpected help')
  return options
}

describe('readOptions', () => {
  it('defaults to auto mode, workers reading, largest first, one round, every file measured with the limit', () => {
    expect(read('/tmp')).toMatchObject({ dir: '/tmp', mode: 'auto', read: 'worker', queue: 'largest', rounds: 1, sampleBytes: Infinity, baseline: true, limit: true })
  })

  it('keeps the old flags: --sample-mb, --no-baseline, and accepts --baseline', () => {
    expect(read('/tmp', '--sample-mb', '8').sampleBytes).toBe(8e6)
    expect(read('/tmp', '--no-baseline')).toMatchObject({ baseline: false, limit: false })
    expect(read('/tmp', '--baseline')).toMatchObject({ baseline: true, limit: true })
    expect(read('/tmp', '--no-limit')).toMatchObject({ baseline: true, limit: false })
  })

  it('rejects values it does not know', () => {
    expect(() => read('/tmp', '--rounds', '0')).toThrow(UsageError)
    expect(() => read('/tmp', '--queue', 'lifo')).toThrow('--queue must be one of largest, fair, got "lifo"')
  })
})

describe('rerunArgs', () => {
  it('repeats the same job alone: the same directory, reading, queue and size limit, JSON only, no references', () => {
    const options = read('/some/dir', '--workers', '3', '--read', 'main', '--queue', 'fair', '--max-size', '0.5', '--rounds', '4', '--dashboard')
    const again = read(...rerunArgs(options, { where: 'pool', workers: 2 }))
    expect(again).toEqual({ ...options, json: true, baseline: false, limit: false, rounds: 1, dashboard: false, mode: 'pool', workers: 2 })
  })

  it('runs later rounds where the first one ran, whatever auto mode would say then', () => {
    const options = read('/some/dir', '--workers', '3')
    expect(read(...rerunArgs(options, { where: 'main', workers: 0 }))).toMatchObject({ mode: 'main', workers: 3 })
    expect(read(...rerunArgs(options, { where: 'pool', workers: 3 }))).toMatchObject({ mode: 'pool', workers: 3 })
  })
})
