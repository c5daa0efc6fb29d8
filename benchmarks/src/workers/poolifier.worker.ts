// poolifier's worker: the first task function is the default; `execute(data, 'hash')` picks another.
// poolifier cannot transfer a result back: `move` returns the buffer, which is copied.
import { ThreadWorker } from 'poolifier'
import { echo, hash, touch } from './work.js'

export default new ThreadWorker<unknown, unknown>({
  echo,
  hash: (index) => hash(index as number),
  move: (buffer) => touch(buffer as ArrayBuffer),
})
