// EtlMonitor: the seed's ETLMonitor. One execution's lifecycle (start,
// periodic heartbeat, finish) with its logger and tracker, and `run(fn)`,
// which always records how the work ended.
import { describeError, isWatermarkError, toError } from "../errors/index.ts";
import type { RpcClient } from "../rpc/client.ts";
import type { ExecutionSummary, ExecutionTrigger, FinishStatus, LogLevel } from "../rpc/schemas.ts";
import type { BatchOptions, BatchQueueHooks } from "./batch-queue.ts";
import { RpcEventSink } from "./event-sink.ts";
import { toJsonObject } from "./json.ts";
import { type ConsoleOptions, EtlLogger } from "./logger.ts";
import { PerformanceTracker } from "./performance-tracker.ts";

/** The seed's execution counters, reported on heartbeats and on finish. */
export interface ProgressCounters {
  totalFixtures?: number;
  processedFixtures?: number;
  successfulFixtures?: number;
  failedFixtures?: number;
  totalChunks?: number;
  processedChunks?: number;
  rowsWritten?: number;
}

export interface EtlMonitorOptions extends BatchQueueHooks {
  rpc: RpcClient;
  pipeline?: string;
  trigger?: ExecutionTrigger;
  /** The logger's component (default `etl`). */
  component?: string;
  /** How often `run` heartbeats (default 20 s): three beats fit the database's default 60 s timeout. */
  heartbeatIntervalMs?: number;
  /** After this long without a heartbeat the run may be reaped as ABANDONED (default: start_etl_execution's, 60 s). */
  heartbeatTimeoutSeconds?: number;
  batching?: Partial<BatchOptions>;
  console?: ConsoleOptions;
  minLevel?: LogLevel;
}

export interface StartOptions {
  executionId?: string;
  config?: Record<string, unknown>;
  correlationId?: string;
}

export interface FinishOptions extends ProgressCounters {
  errorMessage?: string;
}

export interface RunContext {
  executionId: string;
  logger: EtlLogger;
  metrics: PerformanceTracker;
  /** Aborted when the caller's signal aborts or the run stops being RUNNING. */
  signal: AbortSignal;
  /** Merges counters reported on the next heartbeat and on finish. */
  progress(update: ProgressCounters): void;
}

export interface RunOutcome<T> {
  executionId: string;
  status: FinishStatus;
  summary: ExecutionSummary;
  result?: T;
  /** Why the run FAILED or was CANCELLED. */
  error?: Error;
}

const MAX_ERROR_MESSAGE = 2_000;
/** Three beats within start_etl_execution's default 60 s heartbeat timeout. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 20_000;

export class EtlMonitor {
  private readonly sink: RpcEventSink;
  private current: { executionId: string; logger: EtlLogger; metrics: PerformanceTracker; correlationId?: string } | undefined;
  private counters: ProgressCounters = {};

  constructor(private readonly options: EtlMonitorOptions) {
    this.sink = new RpcEventSink(options.rpc, { ...options, batching: options.batching });
  }

  get executionId(): string {
    return this.started().executionId;
  }
  get logger(): EtlLogger {
    return this.started().logger;
  }
  get metrics(): PerformanceTracker {
    return this.started().metrics;
  }

  /** Starts an execution (`start_etl_execution`) and binds the logger and tracker to it. */
  async start(options: StartOptions = {}): Promise<string> {
    if (this.current) throw new Error(`this monitor already runs execution ${this.current.executionId}: use one monitor per execution`);
    const executionId = await this.options.rpc.call("start_etl_execution", {
      execution_id: options.executionId,
      config: toJsonObject(options.config),
      pipeline: this.options.pipeline,
      trigger: this.options.trigger,
      correlation_id: options.correlationId,
      heartbeat_timeout_seconds: this.options.heartbeatTimeoutSeconds,
    });
    const logger = new EtlLogger({
      sink: this.sink,
      context: {
        component: this.options.component,
        executionId,
        correlationId: options.correlationId,
        pipeline: this.options.pipeline,
      },
      console: this.options.console,
      minLevel: this.options.minLevel,
    });
    const metrics = new PerformanceTracker({ sink: this.sink, executionId });
    this.current = { executionId, logger, metrics, correlationId: options.correlationId };
    return executionId;
  }

  progress(update: ProgressCounters): void {
    this.counters = { ...this.counters, ...update };
  }

  /** `heartbeat_etl_execution` with the current counters; WM003 once the run is no longer RUNNING. */
  heartbeat(): Promise<string> {
    return this.options.rpc.call("heartbeat_etl_execution", {
      execution_id: this.executionId,
      progress: toProgressJson(this.counters),
    });
  }

  /**
   * Heartbeats the started execution every `intervalMs` (default: the
   * monitor's heartbeatIntervalMs, 20 s) until the returned function is called.
   * `progress`, when given, is read before each beat so the beat carries fresh
   * counters. When the execution is no longer RUNNING (reaped or finished
   * elsewhere: WM003) `onLost` gets the error and the work should stop; other
   * failures are logged as warnings and the next beat tries again.
   */
  keepAlive(options: { onLost: (error: Error) => void; intervalMs?: number; progress?: () => ProgressCounters }): () => void {
    const { logger } = this.started();
    const timer = setInterval(
      () => {
        if (options.progress) this.progress(options.progress());
        this.heartbeat().catch((err: unknown) => {
          if (isWatermarkError(err, "conflict")) options.onLost(toError(err));
          else logger.warning("heartbeat failed", { error: toError(err) }).catch(() => {});
        });
      },
      options.intervalMs ?? this.options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
    );
    return () => clearInterval(timer);
  }

  /**
   * Flushes buffered events, then `finish_etl_execution`. If the flush failed
   * the execution is still finished and the flush error is thrown afterwards
   * (the events stay buffered: `pendingEvents()` returns them).
   */
  async finish(status: FinishStatus, options: FinishOptions = {}): Promise<ExecutionSummary> {
    const { executionId } = this.started();
    const { errorMessage, ...counters } = options;
    this.progress(counters);
    const flushed = await this.sink.flush().then(
      () => undefined,
      (err: unknown) => toError(err),
    );
    const c = this.counters;
    const summary = await this.options.rpc.call("finish_etl_execution", {
      execution_id: executionId,
      status,
      total_fixtures: c.totalFixtures,
      processed_fixtures: c.processedFixtures,
      successful_fixtures: c.successfulFixtures,
      failed_fixtures: c.failedFixtures,
      total_chunks: c.totalChunks,
      processed_chunks: c.processedChunks,
      rows_written: c.rowsWritten,
      error_message: errorMessage?.slice(0, MAX_ERROR_MESSAGE),
    });
    if (flushed) {
      const { logs, metrics } = this.sink.pending();
      throw new Error(
        `execution ${executionId} finished ${status}, but ${logs.length} log events and ${metrics.length} metrics are not written yet: ${flushed.message}`,
        {
          cause: flushed,
        },
      );
    }
    return summary;
  }

  /** Writes buffered events now. */
  flush(): Promise<void> {
    return this.sink.flush();
  }

  /** Writes buffered events, then refuses new ones (call after finish, before the process exits). */
  close(): Promise<void> {
    return this.sink.close();
  }

  /** Events not written yet (after a flush gave up). */
  pendingEvents(): ReturnType<RpcEventSink["pending"]> {
    return this.sink.pending();
  }

  /**
   * Starts an execution, runs `fn` with heartbeats, and finishes it:
   * COMPLETED when `fn` resolves, FAILED with the error when it throws,
   * CANCELLED when `options.signal` aborts (fn sees the abort on ctx.signal).
   * Resolves with the outcome; rejects only if the execution could not be
   * started or finished.
   */
  async run<T>(fn: (ctx: RunContext) => Promise<T>, options: StartOptions & { signal?: AbortSignal } = {}): Promise<RunOutcome<T>> {
    const executionId = await this.start(options);
    const { logger, metrics } = this.started();
    const controller = new AbortController();
    const abort = (reason: unknown) => {
      if (!controller.signal.aborted) controller.abort(reason);
    };
    const onCallerAbort = () => abort(options.signal?.reason);
    if (options.signal?.aborted) abort(options.signal.reason);
    options.signal?.addEventListener("abort", onCallerAbort, { once: true });

    const stopHeartbeats = this.keepAlive({ onLost: abort });

    const aborted = new Promise<"aborted">((resolve) => {
      if (controller.signal.aborted) resolve("aborted");
      controller.signal.addEventListener("abort", () => resolve("aborted"), { once: true });
    });
    const ctx: RunContext = { executionId, logger, metrics, signal: controller.signal, progress: (u) => this.progress(u) };

    let status: FinishStatus;
    let result: T | undefined;
    let error: Error | undefined;
    try {
      // An already-aborted signal cancels without calling fn.
      const settled = controller.signal.aborted
        ? "aborted"
        : await Promise.race([
            aborted,
            Promise.resolve()
              .then(() => fn(ctx))
              .then(
                (value) => ({ value }),
                (err: unknown) => ({ err: toError(err) }),
              ),
          ]);
      if (settled === "aborted" || controller.signal.aborted) {
        status = "CANCELLED";
        error = toError(controller.signal.reason ?? "aborted");
        await logger.warning("execution cancelled", { reason: describeError(error) });
      } else if ("err" in settled) {
        status = "FAILED";
        error = settled.err;
        await logger.error("execution failed", { error });
      } else {
        status = "COMPLETED";
        result = settled.value;
      }
    } finally {
      stopHeartbeats();
      options.signal?.removeEventListener("abort", onCallerAbort);
    }
    const summary = await this.finish(status, { errorMessage: error ? describeError(error) : undefined });
    return { executionId, status, summary, result, error };
  }

  private started(): NonNullable<EtlMonitor["current"]> {
    if (!this.current) throw new Error("no execution yet: call start() (or run()) first");
    return this.current;
  }
}

function toProgressJson(c: ProgressCounters): Record<string, number> {
  const json: Record<string, number> = {};
  const names: Record<keyof ProgressCounters, string> = {
    totalFixtures: "total_fixtures",
    processedFixtures: "processed_fixtures",
    successfulFixtures: "successful_fixtures",
    failedFixtures: "failed_fixtures",
    totalChunks: "total_chunks",
    processedChunks: "processed_chunks",
    rowsWritten: "rows_written",
  };
  for (const [key, name] of Object.entries(names)) {
    const value = c[key as keyof ProgressCounters];
    if (value !== undefined) json[name] = value;
  }
  return json;
}
