export type { Dataset, FixtureScript } from "./dataset.ts";
export { FAULT_KINDS, type FaultConfig, type FaultKind, type FaultSettings } from "./faults.ts";
export { FINAL_STATE_IDS, FIXTURE_INCLUDES, STATES } from "./fixture-view.ts";
export type { SimulatorOptions } from "./options.ts";
export { MAX_PER_PAGE, NO_RESULTS_MESSAGE } from "./request-options.ts";
export { MAX_BETWEEN_DAYS, MAX_MULTI_IDS } from "./routes.ts";
export { type Simulator, startSimulator, type Truth } from "./server.ts";
export type { RateLimitWindow, SimulatorStats } from "./stats.ts";
