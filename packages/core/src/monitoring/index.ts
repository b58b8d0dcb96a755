export * from "./batch-queue.ts";
export * from "./etl-monitor.ts";
export * from "./event-sink.ts";
export * from "./logger.ts";
export * from "./performance-tracker.ts";
export * from "./signals.ts";
