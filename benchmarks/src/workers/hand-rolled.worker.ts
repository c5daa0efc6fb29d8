// The hand-rolled pool's worker: [id, name, input] in, [id, output] out; a returned ArrayBuffer is moved back.
import { parentPort } from 'node:worker_threads'
import { echo, hash, touch } from './work.js'

const functions: Record<string, (input: any) => unknown> = { echo, hash, move: touch }
const port = parentPort!
port.on('message', ([id, name, input]: [number, string, unknown]) => {
  const output = functions[name]!(input)
  port.postMessage([id, output], output instanceof ArrayBuffer ? [output] : undefined)
})
