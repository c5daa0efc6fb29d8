// @poolkit/core/emitter: the event emitter every poolkit package's `on()` is
// built on, for authors of poolkit packages, so their listeners that throw are
// treated as the pool's are.
export { Emitter, rethrowLater } from './internal/emitter.js'
export type { ErrorEventArgs } from './internal/emitter.js'
