// Counters a test or benchmark reads back: what clients asked for and what they got.

import type { FaultKind } from "./faults.ts";

/** One entity's hourly budget as it stands now. */
export interface RateLimitWindow {
  /** Calls billed in the current window. */
  used: number;
  limit: number;
  remaining: number;
  /** Wall-clock seconds until the window resets (what Retry-After would say). */
  resetsInSeconds: number;
}

export interface SimulatorStats {
  /** Every request under /v3. */
  requests: number;
  byEndpoint: Record<string, number>;
  /** Calls billed to each entity's hourly budget. */
  byEntity: Record<string, number>;
  byStatus: Record<string, number>;
  /** Real 429s: an entity's budget was spent. */
  rateLimited: number;
  unauthorized: number;
  faults: Record<FaultKind, number>;
  /** Fixture objects returned in successful responses (ids across pages and multi calls). */
  fixturesServed: number;
  /**
   * Each entity's current hourly window (entities not called within the last simulated hour are
   * absent). The counters above add up since start or the last reset; this is the budget now.
   */
  rateLimits: Record<string, RateLimitWindow>;
}

/** The counters a reset clears (everything but the budget). */
export type StatsCounters = Omit<SimulatorStats, "rateLimits">;

export function emptyStats(): StatsCounters {
  return {
    requests: 0,
    byEndpoint: {},
    byEntity: {},
    byStatus: {},
    rateLimited: 0,
    unauthorized: 0,
    faults: { server_error: 0, rate_limit: 0, slow: 0, timeout: 0, truncated: 0 },
    fixturesServed: 0,
  };
}

export function bump(counter: Record<string, number>, key: string): void {
  counter[key] = (counter[key] ?? 0) + 1;
}
