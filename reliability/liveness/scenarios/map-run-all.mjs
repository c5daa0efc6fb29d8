// map() and runAll() over a slow handler (each task waits 20 ms on a timer of
// its own): every iteration and the whole run settle (should pass today).
import { createPool } from '@poolkit/core'
import { mark, track } from '../harness.mjs'

const pool = createPool({ handler: (n) => new Promise((resolve) => setTimeout(() => resolve(n * 2), 20)), concurrency: 2 })
const values = []
const iterate = async () => {
  for await (const result of pool.map([1, 2, 3, 4, 5, 6])) values.push(result.ok ? result.value : result.error)
  return values
}
await track('map', iterate())
await track('runAll', pool.runAll([1, 2, 3, 4, 5, 6]))
await track('close', pool.close())
mark('closed')
