// parse-prometheus-text-format 1.1.1 ships no types; this is the shape its README documents.
declare module 'parse-prometheus-text-format' {
  /** One series of a family; values stay strings as written. */
  export interface ParsedSample {
    readonly labels?: Record<string, string>
    readonly value?: string
    readonly timestamp_ms?: string
    /** Histograms: `le` to cumulative count. */
    readonly buckets?: Record<string, string>
    /** Summaries: `quantile` to value. */
    readonly quantiles?: Record<string, string>
    readonly count?: string
    readonly sum?: string
  }

  /** One metric family, as prom2json writes it. */
  export interface ParsedFamily {
    readonly name: string
    readonly help: string
    readonly type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED'
    readonly metrics: readonly ParsedSample[]
  }

  /** Parses exposition text; throws `InvalidLineError` on a malformed line. */
  export default function parsePrometheusTextFormat(text: string): ParsedFamily[]
}
