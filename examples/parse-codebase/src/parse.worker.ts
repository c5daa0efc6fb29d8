// The worker side. `default`: a task is one file's path; the worker reads it
// itself, so the main thread neither reads nor copies bytes (`--read worker`,
// the default). `bytes`: the main thread read the file and moved its bytes
// here (transferred, not copied) as an ArrayBuffer (`--read main`).
// Importing parse.js loads the compiler, so the worker reports ready only
// once it can parse.
import { expose } from '@poolkit/node-adapter/worker'
import { parseBytes, parsePath } from './parse-path.js'

/** The input of the `bytes` task: the file's path (for the script kind and errors) and its bytes. */
export interface BytesTask {
  name: string
  data: ArrayBuffer
}

expose({
  default: parsePath,
  bytes: (task: BytesTask) => parseBytes(task.name, new Uint8Array(task.data)),
})
