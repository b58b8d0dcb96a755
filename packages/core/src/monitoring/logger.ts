// EtlLogger: the seed's ETLLogger. Levelled structured events carrying their
// execution/chunk/fixture/component context, buffered to the database and
// mirrored as JSON lines on the console.

import type { z } from "zod";
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

/** The fields every event of one logger shares (its context): checked once, not per event. */
const sharedFields = logEventElement.pick({
  component: true,
  execution_id: true,
  chunk_id: true,
  fixture_id: true,
  correlation_id: true,
  pipeline: true,
});
type SharedFields = z.output<typeof sharedFields>;

export class EtlLogger {
  readonly context: Readonly<LogContext>;
  /** This logger's context as event fields once checked; null when the check failed. */
  private sharedChecked: SharedFields | null | undefined;

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
    const durationMs = options.durationMs;
    const text = typeof message === "string" ? message.trim() : "";
    const shared = this.shared();
    // The hot path checks only what varies per event; the schema (logEventElement) stays the
    // one definition of the rules and names the field whenever this quick look is not sure.
    const event =
      shared !== undefined && rank(level) >= 0 && text !== "" && (durationMs === undefined || isDuration(durationMs))
        ? buildEvent(shared, this.timestamp(), level, text, details, durationMs)
        : this.checked(level, message, details, durationMs);
    this.print(event);
    const sink = this.options.sink;
    if (!sink || rank(level) < rank(this.options.minLevel ?? "DEBUG")) return Promise.resolve();
    return sink.log(event);
  }

  /** The context's fields, or undefined when they are invalid (the full check then names the field). */
  private shared(): SharedFields | undefined {
    if (this.sharedChecked === undefined) {
      const parsed = sharedFields.safeParse(this.contextFields());
      this.sharedChecked = parsed.success ? withoutUndefined(parsed.data) : null;
    }
    return this.sharedChecked ?? undefined;
  }

  private contextFields() {
    const c = this.context;
    return {
      component: c.component ?? DEFAULT_COMPONENT,
      execution_id: c.executionId,
      chunk_id: c.chunkId,
      fixture_id: c.fixtureId,
      correlation_id: c.correlationId,
      pipeline: c.pipeline,
    };
  }

  /** The whole event through the schema: the event back, or WM001 naming the first bad field. */
  private checked(level: LogLevel, message: string, details: Record<string, unknown> | undefined, durationMs: number | undefined) {
    const parsed = logEventElement.safeParse({
      timestamp: this.timestamp(),
      level,
      message,
      details: toJsonObject(details),
      duration_ms: durationMs,
      ...this.contextFields(),
    });
    if (!parsed.success) throw invalidParameter("log_etl_events", parsed.error, { what: "log event" });
    return withoutUndefined(parsed.data);
  }

  private timestamp(): string {
    return this.options.now ? this.options.now().toISOString() : isoNow();
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

let lastMs = Number.NaN;
let lastIso = "";
/** Now as ISO 8601; many events share a millisecond, so its string is made once. */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}

const isDuration = (ms: unknown) => typeof ms === "number" && ms >= 0 && Number.isFinite(ms);

/** An event in the key order the console line shows, without the keys it does not have. */
function buildEvent(
  shared: SharedFields,
  timestamp: string,
  level: LogLevel,
  message: string,
  details: Record<string, unknown> | undefined,
  durationMs: number | undefined,
): LogEventElement {
  const event: LogEventElement = { timestamp, level, component: shared.component, message };
  if (details !== undefined) event.details = toJsonObject(details);
  if (shared.execution_id !== undefined) event.execution_id = shared.execution_id;
  if (shared.chunk_id !== undefined) event.chunk_id = shared.chunk_id;
  if (shared.fixture_id !== undefined) event.fixture_id = shared.fixture_id;
  if (durationMs !== undefined) event.duration_ms = durationMs;
  if (shared.correlation_id !== undefined) event.correlation_id = shared.correlation_id;
  if (shared.pipeline !== undefined) event.pipeline = shared.pipeline;
  return event;
}
