// Counters a test or benchmark reads back: what clients asked for and what they got.

import type { FaultKind } from "./faults.ts";

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
}

export function emptyStats(): SimulatorStats {
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
