// @watermark/core/sports: typed readers for the relational model derived from the collected fixtures.
export * from "./readers.ts";
export * from "./rpcs.ts";
