// Where the logger and the tracker put their events: two ordered batch
// buffers flushed through `log_etl_events` and `record_etl_metrics`, each a
// stream of its own (a random name plus the batch's first sequence number), so
// the database stores pipelined batches in order and a resent batch once.
import type { RpcClient } from "../rpc/client.ts";
import type { LogEventElement, MetricElement } from "../rpc/schemas.ts";
import { type BatchOptions, BatchQueue, type BatchQueueHooks, defaultBatchOptions } from "./batch-queue.ts";

export interface EventSink {
  log(event: LogEventElement): Promise<void>;
  metric(metric: MetricElement): Promise<void>;
  flush(): Promise<void>;
}

export interface RpcEventSinkOptions extends BatchQueueHooks {
  batching?: Partial<BatchOptions>;
}

/** A writer's stream name: unique per buffer, so two writers never share sequence numbers. */
const streamName = (kind: string) => `${kind}-${crypto.randomUUID()}`;

export class RpcEventSink implements EventSink {
  private readonly logs: BatchQueue<LogEventElement>;
  private readonly metrics: BatchQueue<MetricElement>;

  constructor(rpc: RpcClient, options: RpcEventSinkOptions = {}) {
    const batching = { ...defaultBatchOptions, ...options.batching };
    const logStream = streamName("logs");
    const metricStream = streamName("metrics");
    this.logs = new BatchQueue(
      async (events, firstSeq) => {
        // Each event was checked when it was logged (EtlLogger, PerformanceTracker).
        await rpc.call("log_etl_events", { events, stream: logStream, first_seq: firstSeq }, { prevalidated: true });
      },
      batching,
      options,
    );
    this.metrics = new BatchQueue(
      async (metrics, firstSeq) => {
        await rpc.call("record_etl_metrics", { metrics, stream: metricStream, first_seq: firstSeq }, { prevalidated: true });
      },
      batching,
      options,
    );
  }

  log(event: LogEventElement): Promise<void> {
    return this.logs.push(event);
  }

  metric(metric: MetricElement): Promise<void> {
    return this.metrics.push(metric);
  }

  /** Events and metrics not yet confirmed written. */
  pending(): { logs: LogEventElement[]; metrics: MetricElement[] } {
    return { logs: this.logs.pending(), metrics: this.metrics.pending() };
  }

  /** Flushes both buffers (each is attempted even if the other fails). */
  async flush(): Promise<void> {
    await settleBoth(this.logs.flush(), this.metrics.flush());
  }

  async close(): Promise<void> {
    await settleBoth(this.logs.close(), this.metrics.close());
  }
}

async function settleBoth(a: Promise<void>, b: Promise<void>): Promise<void> {
  const results = await Promise.allSettled([a, b]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}
