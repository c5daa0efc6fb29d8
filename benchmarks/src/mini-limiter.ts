/**
 * The smallest useful concurrency limiter: a counter and an array queue, no
 * priorities, no timeouts, no cancellation, no stats. It is the floor that a
 * full pool can be measured against: how much do the features cost?
 */
export function createMiniLimiter(concurrency: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0
  let head = 0
  let queue: (() => void)[] = []
  const next = (): void => {
    active--
    if (head === queue.length) return
    const start = queue[head]!
    // Reset the array when it empties so the consumed prefix does not grow forever.
    if (++head === queue.length) {
      queue = []
      head = 0
    }
    start()
  }
  return <T>(fn: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const start = (): void => {
        active++
        fn().then(
          (v) => (resolve(v), next()),
          (e: unknown) => (reject(e), next()),
        )
      }
      if (active < concurrency) start()
      else queue.push(start)
    })
}
