// The worker side, run on each consumer's threads: one task per job. It gets the job
// as an envelope (input: 'envelope'), so it has the job id, the idempotency key a real
// handler would pass to whatever it writes; this one only hashes.
import { createHash } from 'node:crypto'
import type { JobEnvelope } from '@poolkit/bullmq'
import { expose, getWorkerData } from '@poolkit/node-adapter/worker'

/** What a job returns: which consumer ran it, and the digest. */
export interface HashResult {
  readonly consumer: string
  readonly jobId: string
  readonly digest: string
}

const { consumer } = getWorkerData() as { consumer: string }

/** A few milliseconds of CPU: 2,000 rounds of sha256 over the job's text. */
function hash(text: string): string {
  let digest = text
  for (let i = 0; i < 2_000; i++) digest = createHash('sha256').update(digest).digest('hex')
  return digest
}

expose({
  hash: ({ data, jobId }: JobEnvelope<string>): HashResult => ({ consumer, jobId, digest: hash(data) }),
})
