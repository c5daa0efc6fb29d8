// How a child process gets its workerData: over its IPC channel, as the answer
// to the first message it sends, before its own file runs (see CHILD_PRELOAD in
// channel.ts). Never through the environment: that capped it at about 128 KiB
// (E2BIG) and showed it to every process the worker starts.

/** The child's request, sent by the preload once its listener is in place (a message sent before that would be lost). */
export const WORKER_DATA_REQUEST = 'poolkit:worker-data?'

/** The main side's answer: `{ type: WORKER_DATA_REPLY, value }`. */
export const WORKER_DATA_REPLY = 'poolkit:worker-data'

/** The global symbol (`Symbol.for`) under which the preload keeps `{ value }` for `getWorkerData()`. */
export const WORKER_DATA_KEY = 'poolkit.workerData'

/** Whether a message from a child is its request for the workerData. */
export function isWorkerDataRequest(message: unknown): boolean {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === WORKER_DATA_REQUEST
}
