// @watermark/core/collector: the collection engine and its RPC contract.
export * from "./answer-relay.ts";
export * from "./deps.ts";
export * from "./engine.ts";
export * from "./options.ts";
export * from "./plan.ts";
export * from "./rate-limit-store.ts";
export * from "./resource-budget.ts";
export * from "./response-pipe.ts";
export * from "./result.ts";
export * from "./rpcs.ts";
