// The routing suite's worker: `threads(url)` runs this file. `default` echoes its
// input (the no-op burst); `validate` checks a value with its key's validator, from
// this worker's small cache when it holds it (see validators.ts).
import { expose } from '@poolkit/node-adapter/worker'
import { echo } from './work.js'
import { CACHE_SIZE, validatorCache } from './validators.js'

expose({ default: echo, validate: validatorCache(CACHE_SIZE) })
