// @watermark/core/sportmonks: the Sportmonks Football v3 client.
export * from "./client.ts";
export * from "./errors.ts";
export * from "./paged.ts";
export * from "./rate-limit.ts";
export * from "./retry.ts";
export * from "./schemas.ts";
