// The hand-written postMessage pool's worker: [id, name, input] in, [id, output] out.
import './sha256.js'

const { hashTask } = globalThis.benchWork

onmessage = ({ data: [id, name, input] }) => postMessage([id, name === 'hash' ? hashTask(input) : input])
