/**
 * One sample of a {@link CollectedMetric}: its labels and its value.
 * @public
 */
export interface CollectedSample {
  /** Label names and values; names are letters, digits and underscores. @defaultValue no labels */
  readonly labels?: Readonly<Record<string, string>>
  /** The value now: a count since start for a counter, a level for a gauge. */
  readonly value: number
}

/**
 * One metric family that a package measures outside the pool (a resource
 * pool's hits, a BullMQ queue's depth), in the shape every exporter can write.
 * @public
 */
export interface CollectedMetric {
  /**
   * The name without the exporter's prefix, in Prometheus form: letters, digits
   * and underscores, such as `resource_acquires_total`. `@poolkit/metrics`
   * writes it as `<prefix>_<name>`.
   */
  readonly name: string
  /** One line saying what it measures, for `# HELP`. */
  readonly help: string
  /** `'counter'` only ever grows (its name should end in `_total`); `'gauge'` goes up and down. */
  readonly type: 'counter' | 'gauge'
  /** Its samples, one per label set. */
  readonly samples: readonly CollectedSample[]
}

/**
 * Anything that measures something besides a pool's tasks and hands the
 * figures to a metrics exporter on demand. `@poolkit/resource` pools and
 * `@poolkit/bullmq` queues implement it; `@poolkit/metrics` reads every
 * collector added to it on each snapshot and Prometheus scrape.
 *
 * `collect()` is synchronous and cheap: a collector whose figures live
 * elsewhere (in Redis) refreshes them on its own schedule and returns the last
 * ones read.
 * @public
 */
export interface MetricsCollector {
  /** The metric families as they are now. */
  collect(): readonly CollectedMetric[]
}
