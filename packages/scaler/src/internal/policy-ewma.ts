/**
 * An exponentially weighted moving average: each sample moves the value by
 * `weight` of the gap. The first sample is taken as is.
 */
export class Ewma {
  private current: number | undefined = undefined

  constructor(private readonly weight: number) {}

  /** The average, or `undefined` before the first sample. */
  get value(): number | undefined {
    return this.current
  }

  add(sample: number): number {
    this.current = this.current === undefined ? sample : this.current + this.weight * (sample - this.current)
    return this.current
  }

  /** Replaces the average (a decay applied from outside). */
  set(value: number): void {
    this.current = value
  }
}

/**
 * A long-window average, after Netflix concurrency-limits' `ExpAvgMeasurement`:
 * the plain mean of the first `warmup` samples, then an EWMA with weight
 * `2 / (window + 1)`, so one odd interval barely moves it.
 */
export class LongAverage {
  private readonly ewma: Ewma
  private samples = 0
  private sum = 0

  constructor(
    window: number,
    private readonly warmup: number,
  ) {
    this.ewma = new Ewma(2 / (window + 1))
  }

  get value(): number | undefined {
    return this.ewma.value
  }

  add(sample: number): number {
    if (this.samples < this.warmup) {
      this.samples++
      this.sum += sample
      const mean = this.sum / this.samples
      this.ewma.set(mean)
      return mean
    }
    return this.ewma.add(sample)
  }

  set(value: number): void {
    this.ewma.set(value)
  }
}
