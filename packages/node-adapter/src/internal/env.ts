/** Environment variable that carries `workerData` to a child process (threads get it natively). */
export const WORKER_DATA_ENV = 'POOLKIT_WORKER_DATA'
