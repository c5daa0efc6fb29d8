// A task that fails twice, then succeeds, with retry: { attempts: 3, backoff:
// { initialMs: 50 } }: the retry waits on the backoff timer (should pass today).
// pool.onIdle() waits for the same task, through its backoff.
import { createPool } from '@poolkit/core'
import { mark, note, track } from '../harness.mjs'

let calls = 0
const pool = createPool({
  handler: async () => {
    if (++calls < 3) throw new Error(`try ${calls} failed`)
    return calls
  },
  retry: { attempts: 3, backoff: { initialMs: 50 } },
})
const run = track('run', pool.run('task'))
await track('onIdle', pool.onIdle())
await run
note('calls', calls)
await track('close', pool.close())
mark('closed')
