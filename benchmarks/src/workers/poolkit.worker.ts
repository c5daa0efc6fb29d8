// poolkit's worker: `threads(url)` runs this file; run(i) calls `default`, run(i, { name }) the others.
import { expose, transfer } from '@poolkit/node-adapter/worker'
import { echo, hash, touch } from './work.js'

expose({
  default: echo,
  hash,
  move: (buffer: ArrayBuffer) => transfer(touch(buffer), [buffer]),
})
