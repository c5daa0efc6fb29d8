// The progress display: a bar redrawn in place on a terminal, plain lines (at
// most one every few seconds) when the output is a file or a pipe.

/** What the bar shows at one moment. */
export interface ProgressState {
  files: number
  totalFiles: number
  bytes: number
  totalBytes: number
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** Where to draw. */
  stream: NodeJS.WriteStream
  /** Redraw at most this often on a terminal, in ms. @defaultValue 100 */
  intervalMs?: number
  /** Print a plain line at most this often when not a terminal, in ms. @defaultValue 2000 */
  plainIntervalMs?: number
}

/** A progress display: call `update` as often as you like, `done` once. */
export interface Progress {
  update(state: ProgressState): void
  done(state: ProgressState): void
}

const MB = 1e6

/** Seconds as `42s`, `3m05s` or `1h02m`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--'
  const s = Math.round(seconds)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

/** One line of progress text, without the bar. */
export function describe(state: ProgressState, elapsedMs: number): string {
  const seconds = elapsedMs / 1000
  const rate = seconds > 0 ? state.files / seconds : 0
  // ETA by bytes: parse time follows size far more than file count.
  const byteRate = seconds > 0 ? state.bytes / seconds : 0
  // No estimate in the first second: worker start-up would make it hours.
  const eta = byteRate > 0 && seconds >= 1 ? (state.totalBytes - state.bytes) / byteRate : Number.NaN
  return (
    `${state.files}/${state.totalFiles} files  ` +
    `${(state.bytes / MB).toFixed(1)}/${(state.totalBytes / MB).toFixed(1)} MB  ` +
    `${Math.round(rate)} files/s  ETA ${state.files === state.totalFiles ? '0s' : formatDuration(eta)}`
  )
}

/** Creates the display for `options.stream`: a bar if it is a TTY, plain lines if not. */
export function createProgress(options: ProgressOptions): Progress {
  const { stream } = options
  const tty = stream.isTTY === true
  const interval = tty ? (options.intervalMs ?? 100) : (options.plainIntervalMs ?? 2000)
  const started = performance.now()
  let last = -Infinity

  const draw = (state: ProgressState, final: boolean): void => {
    const elapsed = performance.now() - started
    const text = describe(state, elapsed)
    if (!tty) {
      stream.write(`${final ? 'done' : 'progress'}: ${text}\n`)
      return
    }
    const fraction = state.totalBytes > 0 ? state.bytes / state.totalBytes : 1
    const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - text.length - 10))
    const filled = Math.round(fraction * width)
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%`
    // \r and clear-to-end-of-line: redraw in place, leaving nothing of a longer old line.
    stream.write(`\r${bar} ${text}\x1b[K${final ? '\n' : ''}`)
  }

  return {
    update(state) {
      const now = performance.now()
      if (now - last < interval) return
      last = now
      draw(state, false)
    },
    done(state) {
      draw(state, true)
    },
  }
}
