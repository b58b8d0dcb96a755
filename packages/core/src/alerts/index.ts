// Alert delivery: Block Kit formatting, the Slack webhook poster and the outbox drain.
export * from "./format.ts";
export * from "./outbox.ts";
export * from "./schemas.ts";
export * from "./webhook.ts";
