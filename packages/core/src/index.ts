// @watermark/core: import the whole package or one area (`@watermark/core/monitoring`).
export * from "./alerts/index.ts";
export * from "./collector/index.ts";
export * from "./config/index.ts";
export type { Database, Json } from "./database.types.ts";
export * from "./errors/index.ts";
export * from "./monitoring/index.ts";
export * from "./rpc/index.ts";
export * from "./sportmonks/index.ts";
export * from "./sports/index.ts";
