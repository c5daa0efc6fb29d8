// The selector conformance suite catches broken selectors: each one here must
// fail at least one of its checks (run through a TestApi that collects them).
import { describe, expect, it } from 'vitest'
import type { WorkerInfo, WorkerSelector } from '../src/index.js'
import { runSelectorConformance } from '../src/testing/index.js'

/** Runs the suite on `factory` and gives the names of the checks that failed. */
async function failures(factory: () => WorkerSelector): Promise<string[]> {
  const checks: { name: string; body: () => Promise<void> | void }[] = []
  runSelectorConformance('broken', factory, { describe: (_name, body) => body(), it: (name, body) => void checks.push({ name, body }) }, { tasks: 60 })
  const failed: string[] = []
  for (const check of checks) {
    try {
      await check.body()
    } catch {
      failed.push(check.name)
    }
  }
  return failed
}

describe('runSelectorConformance', () => {
  it('passes a selector that takes the first candidate', async () => {
    expect(await failures(() => ({ select: (candidates) => candidates[0] }))).toEqual([])
  })

  it('fails a selector that returns a worker it kept from an earlier call (full or exited by now)', async () => {
    const failed = await failures(() => {
      let kept: WorkerInfo | undefined
      return { select: (candidates) => (kept ??= candidates[0]) }
    })
    expect(failed.length).toBeGreaterThan(0)
  })

  it('fails a selector that never places a task', async () => {
    expect(await failures(() => ({ select: () => undefined }))).toHaveLength(5)
  })

  it('fails a selector whose select() or hook throws', async () => {
    expect(
      await failures(() => ({
        select: (candidates) => candidates[0],
        onFinished: () => {
          throw new Error('oops')
        },
      })),
    ).toHaveLength(5)
  })

  it('fails a selector that returns a copy of a candidate instead of the candidate', async () => {
    expect(await failures(() => ({ select: (candidates) => ({ ...candidates[0]! }) }))).toHaveLength(5)
  })
})
