// PerformanceTracker: the seed's tracker. Timings, counters and gauges become
// metrics (with metric_kind) in the same batched stream as the logs.
import { invalidParameter } from "../rpc/client.ts";
import { METRIC_KINDS, METRIC_NAME_MAX, METRIC_UNIT_MAX, type MetricElement, type MetricKind, metricElement } from "../rpc/schemas.ts";
import type { EventSink } from "./event-sink.ts";
import { toJsonObject } from "./json.ts";

export type Tags = Record<string, string | number | boolean>;

export interface PerformanceTrackerOptions {
  sink: EventSink;
  executionId?: string;
  /** Tags added to every metric (e.g. { pipeline }). */
  tags?: Tags;
  now?: () => Date;
}

export interface MetricOptions {
  unit?: string;
  tags?: Tags;
  kind?: MetricKind;
}

export interface TimingStats {
  count: number;
  totalMs: number;
  maxMs: number;
}

export interface Timer {
  /** Records the elapsed time and returns it in milliseconds. */
  stop(tags?: Tags): Promise<number>;
}

export class PerformanceTracker {
  private readonly counters = new Map<string, number>();
  private readonly gauges = new Map<string, number>();
  private readonly timings = new Map<string, TimingStats>();

  constructor(private readonly options: PerformanceTrackerOptions) {}

  /** Times `fn` as `<name>` in ms, tagged status ok|error; rethrows what `fn` throws. */
  async trackOperation<T>(name: string, fn: () => Promise<T> | T, tags?: Tags): Promise<T> {
    const timer = this.startTimer(name, tags);
    let result: T;
    try {
      result = await fn();
    } catch (err) {
      await timer.stop({ status: "error" });
      throw err;
    }
    await timer.stop({ status: "ok" });
    return result;
  }

  startTimer(name: string, tags?: Tags): Timer {
    const started = performance.now();
    let stopped = false;
    return {
      stop: async (extra?: Tags) => {
        if (stopped) throw new Error(`timer ${name} was already stopped`);
        stopped = true;
        const ms = performance.now() - started;
        const stats = this.timings.get(name) ?? { count: 0, totalMs: 0, maxMs: 0 };
        this.timings.set(name, { count: stats.count + 1, totalMs: stats.totalMs + ms, maxMs: Math.max(stats.maxMs, ms) });
        await this.recordMetric(name, ms, { unit: "ms", kind: "timing", tags: { ...tags, ...extra } });
        return ms;
      },
    };
  }

  /** Adds `by` to a counter: the increment is recorded as one `counter` sample. */
  incrementCounter(name: string, by = 1, tags?: Tags): Promise<void> {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
    return this.recordMetric(name, by, { kind: "counter", tags, unit: "count" });
  }

  setGauge(name: string, value: number, unit?: string, tags?: Tags): Promise<void> {
    this.gauges.set(name, value);
    return this.recordMetric(name, value, { kind: "gauge", unit, tags });
  }

  /** Records one sample. Throws at once (WM001, field named) for a bad name or a non-finite value. */
  recordMetric(name: string, value: number, options: MetricOptions = {}): Promise<void> {
    const merged = { ...this.options.tags, ...options.tags };
    const tags = Object.keys(merged).length > 0 ? toJsonObject(merged) : undefined;
    const timestamp = (this.options.now?.() ?? new Date()).toISOString();
    // The hot path (a metric per API call) checks the fields by hand; anything it is not sure
    // of goes through the schema (metricElement), which stays the one definition of the rules
    // and names the field.
    const metric = isPlainMetric(this.options.executionId, name, value, options)
      ? quickMetric(this.options.executionId, name, value, options, tags, timestamp)
      : this.checked(name, value, options, tags, timestamp);
    return this.options.sink.metric(metric);
  }

  private checked(name: string, value: number, options: MetricOptions, tags: MetricElement["tags"], timestamp: string): MetricElement {
    const parsed = metricElement.safeParse({
      execution_id: this.options.executionId ?? null,
      metric_name: name,
      metric_value: value,
      metric_unit: options.unit,
      tags,
      metric_kind: options.kind ?? "gauge",
      timestamp,
    });
    if (!parsed.success) throw invalidParameter("record_etl_metrics", parsed.error, { what: "metric" });
    return Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)) as MetricElement;
  }

  /** What this tracker has seen so far (for progress reports and exports). */
  snapshot(): { counters: Record<string, number>; gauges: Record<string, number>; timings: Record<string, TimingStats> } {
    return {
      counters: Object.fromEntries(this.counters),
      gauges: Object.fromEntries(this.gauges),
      timings: Object.fromEntries(this.timings),
    };
  }

  flush(): Promise<void> {
    return this.options.sink.flush();
  }
}

/** A name that the schema's trimmed, non-empty, at most 200 characters would leave as it is. */
const isPlainText = (text: unknown, max: number) => typeof text === "string" && text !== "" && text.length <= max && text.trim() === text;

/** Whether metricElement would accept these fields unchanged (unsure: false, and the schema decides). */
function isPlainMetric(executionId: string | undefined, name: string, value: number, options: MetricOptions): boolean {
  return (
    (executionId === undefined || isPlainText(executionId, Number.POSITIVE_INFINITY)) &&
    isPlainText(name, METRIC_NAME_MAX) &&
    typeof value === "number" &&
    Number.isFinite(value) &&
    (options.unit === undefined || (typeof options.unit === "string" && options.unit.length <= METRIC_UNIT_MAX)) &&
    (options.kind === undefined || METRIC_KINDS.includes(options.kind))
  );
}

/** The metric as the schema path builds it (same keys, same order), without the keys it does not have. */
function quickMetric(
  executionId: string | undefined,
  name: string,
  value: number,
  options: MetricOptions,
  tags: MetricElement["tags"],
  timestamp: string,
): MetricElement {
  const metric: MetricElement = { execution_id: executionId ?? null, metric_name: name, metric_value: value };
  if (options.unit !== undefined) metric.metric_unit = options.unit;
  if (tags !== undefined) metric.tags = tags;
  metric.metric_kind = options.kind ?? "gauge";
  metric.timestamp = timestamp;
  return metric;
}
