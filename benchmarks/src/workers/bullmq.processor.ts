// BullMQ's sandboxed processor for the bullmq suite: BullMQ imports this file in each of
// its child processes (or worker threads, with useWorkerThreads) and calls the default
// export once per job. The same sha256 task as every thread pool (work.ts).
import type { SandboxedJob } from 'bullmq'
import { hash } from './work.js'

export default async function process(job: SandboxedJob<number, string>): Promise<string> {
  return hash(job.data)
}
