export type { Aggregate, Dataset, FixtureScript, League, Season, Stage } from "./dataset.ts";
export { FAULT_KINDS, type FaultConfig, type FaultKind, type FaultSettings } from "./faults.ts";
export { ENDED_STATE_IDS, FINAL_STATE_IDS, FIXTURE_INCLUDES, LATEST_WATCHED_FIELDS, STATES } from "./fixture-view.ts";
export type { Correction, Incident } from "./incidents.ts";
export type { SimulatorOptions } from "./options.ts";
export { MAX_INCLUDE_DEPTH, MAX_PER_PAGE, NO_RESULTS_MESSAGE, POPULATE_PER_PAGE } from "./request-options.ts";
export { MAX_BETWEEN_DAYS, MAX_MULTI_IDS } from "./routes.ts";
export { type Simulator, startSimulator, type Truth } from "./server.ts";
export type { RateLimitWindow, SimulatorStats } from "./stats.ts";
