// EtlLogger: the seed's ETLLogger. Levelled structured events carrying their
// execution/chunk/fixture/component context, buffered to the database and
// mirrored as JSON lines on the console.
import { invalidParameter } from "../rpc/client.ts";
import { LOG_LEVELS, type LogEventElement, type LogLevel, logEventElement } from "../rpc/schemas.ts";
import type { EventSink } from "./event-sink.ts";
import { toJsonObject } from "./json.ts";

export interface LogContext {
  component?: string;
  executionId?: string;
  chunkId?: string;
  fixtureId?: number;
  correlationId?: string;
  pipeline?: string;
}

export interface ConsoleOptions {
  /** Lowest level printed; `off` prints nothing. */
  level: LogLevel | "off";
  /** Receives one JSON line per event (default: console.error, so stdout stays free for data). */
  write?: (line: string) => void;
}

export interface EtlLoggerOptions {
  /** Where events are stored; null keeps the logger console-only. */
  sink: EventSink | null;
  context?: LogContext;
  /** Lowest level sent to the sink. */
  minLevel?: LogLevel;
  console?: ConsoleOptions;
  now?: () => Date;
}

export interface LogOptions {
  durationMs?: number;
}

const rank = (level: LogLevel) => LOG_LEVELS.indexOf(level);
export const DEFAULT_COMPONENT = "etl";

export class EtlLogger {
  readonly context: Readonly<LogContext>;

  constructor(private readonly options: EtlLoggerOptions) {
    this.context = { ...options.context };
  }

  /** A logger whose events also carry `context` (overriding this one's keys). */
  child(context: LogContext): EtlLogger {
    return new EtlLogger({ ...this.options, context: { ...this.context, ...context } });
  }

  debug(message: string, details?: Record<string, unknown>, options?: LogOptions): Promise<void> {
    return this.log("DEBUG", message, details, options);
  }
  info(message: string, details?: Record<string, unknown>, options?: LogOptions): Promise<void> {
    return this.log("INFO", message, details, options);
  }
  warning(message: string, details?: Record<string, unknown>, options?: LogOptions): Promise<void> {
    return this.log("WARNING", message, details, options);
  }
  error(message: string, details?: Record<string, unknown>, options?: LogOptions): Promise<void> {
    return this.log("ERROR", message, details, options);
  }
  critical(message: string, details?: Record<string, unknown>, options?: LogOptions): Promise<void> {
    return this.log("CRITICAL", message, details, options);
  }

  /**
   * Records one event. Throws at once (WM001, field named) for an invalid event;
   * the returned promise only waits when the buffer is full (back-pressure).
   */
  log(level: LogLevel, message: string, details?: Record<string, unknown>, options: LogOptions = {}): Promise<void> {
    const c = this.context;
    const candidate = {
      timestamp: (this.options.now?.() ?? new Date()).toISOString(),
      level,
      component: c.component ?? DEFAULT_COMPONENT,
      message,
      details: toJsonObject(details),
      execution_id: c.executionId,
      chunk_id: c.chunkId,
      fixture_id: c.fixtureId,
      duration_ms: options.durationMs,
      correlation_id: c.correlationId,
      pipeline: c.pipeline,
    };
    const parsed = logEventElement.safeParse(candidate);
    if (!parsed.success) throw invalidParameter("log_etl_events", parsed.error, { what: "log event" });
    const event = withoutUndefined(parsed.data);
    this.print(event);
    const sink = this.options.sink;
    if (!sink || rank(level) < rank(this.options.minLevel ?? "DEBUG")) return Promise.resolve();
    return sink.log(event);
  }

  /** Writes everything buffered so far. */
  flush(): Promise<void> {
    return this.options.sink?.flush() ?? Promise.resolve();
  }

  private print(event: LogEventElement): void {
    const consoleLevel = this.options.console?.level ?? "INFO";
    if (consoleLevel === "off" || rank(event.level) < rank(consoleLevel)) return;
    const write = this.options.console?.write ?? ((line: string) => console.error(line));
    write(JSON.stringify(event));
  }
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
