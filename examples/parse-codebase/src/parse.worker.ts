// The worker side: each task is one file, its bytes moved here (transferred, not
// copied) as an ArrayBuffer. Decode, parse, count, return the counts.
import { expose } from '@poolkit/node-adapter/worker'
import { parseFile, type ParsedFile } from './parse.js'

/** One task's input: the file's path (for the script kind and errors) and its bytes. */
export interface ParseTask {
  name: string
  data: ArrayBuffer
}

const decoder = new TextDecoder('utf-8')

expose((task: ParseTask): ParsedFile => parseFile(task.name, decoder.decode(task.data)))
