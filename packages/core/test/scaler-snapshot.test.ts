import { describe, expect, it } from 'vitest'
import { createPool, createVirtualClock } from '../src/index.js'
import type { VirtualClock } from '../src/index.js'

/** A handler that takes `ms` of virtual time and returns its input's id. */
const timed =
  (clock: VirtualClock) =>
  (input: { id: string; ms: number }): Promise<string> =>
    new Promise((resolve) => clock.setTimeout(() => resolve(input.id), input.ms))

describe('PoolSnapshot.idleSince', () => {
  it('tells a scaler when each idle worker became idle, oldest first, and leaves busy workers out', async () => {
    const clock = createVirtualClock()
    const snapshots: { now: number; idleSince: readonly number[] | undefined }[] = []
    const pool = createPool({
      handler: timed(clock),
      clock,
      concurrency: 3,
      scaler: { intervalMs: 100, desired: (s) => (snapshots.push({ now: s.now, idleSince: s.idleSince }), s.targetWorkers) },
    })
    const runs = [pool.run({ id: 'a', ms: 30 }), pool.run({ id: 'b', ms: 250 })]
    await clock.advance(100)
    // At 100: the worker that ran a is idle since 30; the one running b is busy; the third never worked (ready at 0).
    expect(snapshots.at(-1)).toEqual({ now: 100, idleSince: [0, 30] })
    await clock.advance(200)
    await Promise.all(runs)
    expect(snapshots.at(-1)).toEqual({ now: 300, idleSince: [0, 30, 250] })
    await pool.close()
  })
})
