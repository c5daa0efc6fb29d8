// One file by its path: read, skip if binary, decode, parse and count. The
// workers, the main thread and the measuring child processes all run this, so
// every way of running the job does exactly the same work per file.
import { readFileSync } from 'node:fs'
import { parseFile, type ParsedFile } from './parse.js'
import { looksBinary } from './walk.js'

const decoder = new TextDecoder('utf-8')

/**
 * Parses the file at `path`, or returns `null` when its bytes look binary.
 * Reads synchronously: on a worker (or a process) that does nothing else, an
 * asynchronous read would only add a round trip to the thread pool of libuv.
 */
export function parsePath(path: string): ParsedFile | null {
  return parseBytes(path, readFileSync(path))
}

/** Parses a file already read (`--read main` sends the bytes), or returns `null` when they look binary. */
export function parseBytes(name: string, bytes: Uint8Array): ParsedFile | null {
  if (looksBinary(bytes)) return null
  return parseFile(name, decoder.decode(bytes))
}
