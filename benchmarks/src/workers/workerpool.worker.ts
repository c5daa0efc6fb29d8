// workerpool's worker: methods are called by name, `pool.exec('echo', [input])`.
import workerpool from 'workerpool'
import { echo } from './work.js'

workerpool.worker({ echo })
