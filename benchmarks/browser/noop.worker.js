// poolkit's worker for the browser benchmark (module worker, started by webWorkers()).
import { expose } from '@poolkit/web-adapter/worker'
import './sha256.js'

const { hashTask } = globalThis.benchWork

expose({ default: (input) => input, hash: (i) => hashTask(i) })
