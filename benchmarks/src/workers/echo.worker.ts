// The floor: a bare worker that posts every message straight back. No ids, no pool.
import { parentPort } from 'node:worker_threads'

const port = parentPort!
port.on('message', (message: unknown) => port.postMessage(message))
