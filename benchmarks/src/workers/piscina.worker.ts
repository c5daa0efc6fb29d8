// piscina's worker: the default export runs unless the task names another export.
import { move as moveBack } from 'piscina'
import { echo, hash, touch } from './work.js'

export default echo
export { hash }
export const move = (buffer: ArrayBuffer): unknown => moveBack(touch(buffer))
