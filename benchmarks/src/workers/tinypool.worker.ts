// tinypool's worker: the default export runs for every task.
import { echo } from './work.js'

export default echo
