/**
 * What a worker posts just before `self.close()`: a Web Worker that closes
 * itself fires no event on the page's side, so without it the main side would
 * wait `closeTimeout` for every graceful close.
 */
export const CLOSED_SIGNAL = '@poolkit/web-adapter:closed'
