/** Whether a value has a `then` method (a promise or another thenable), as `await` decides it. */
export function isThenable<T>(value: unknown): value is PromiseLike<T> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function'
}
