// What one collection run reports: the seed's counters plus API usage, so the
// CLI, the edge function and npm start print the same summary.
import type { SportmonksRequestEvent, SportmonksWaitEvent } from "../sportmonks/client.ts";
import type { ResourceUse } from "./resource-budget.ts";

export type StopReason =
  /** No claimable chunk has work left. */
  | "no_work"
  | "max_chunks"
  | "max_fixtures"
  /** Stopped before the time budget ran out; work is left. */
  | "time_budget"
  /** An entity's budget resets later than the run can wait; work is left. */
  | "rate_limited"
  /** The run's CPU budget (the function's 2 s per request, less a margin) would not fit another batch; work is left. */
  | "cpu_budget"
  /** The run held more memory than its budget (the function's 256 MB, less a margin); work is left. */
  | "memory_budget"
  | "cancelled"
  | "failed";

export interface ApiUsage {
  /** HTTP requests sent, retries included. */
  calls: number;
  byEndpoint: Record<string, number>;
  /** Requests that ended in an error (retried or not). */
  errors: number;
  /** HTTP 429 / code 5005 answers received. */
  rateLimited: number;
  retries: number;
  /** Time spent waiting for rate-limit resets and backoff. */
  waitedMs: number;
  /** Last `rate_limit.remaining` seen per entity. */
  remainingByEntity: Record<string, number>;
  /** The same traffic per rate-limit entity (recorded as the run's `sportmonks.*` metrics). */
  byEntity: Record<string, EntityUsage>;
}

export interface EntityUsage {
  calls: number;
  errors: number;
  rateLimited: number;
  retries: number;
  /** When the last successful call of the run answered (ISO). */
  lastSuccessAt: string | null;
}

export interface CollectCounters {
  chunksClaimed: number;
  /** Chunks whose pass finished (released done). */
  chunksCompleted: number;
  /** Chunks released with their checkpoint kept (budget, limits, cancel). */
  chunksLeftPending: number;
  chunksFailed: number;
  chunksLeaseLost: number;
  /** Chunks released untouched because they hold fewer fixtures than min_fixtures. */
  chunksBelowMinFixtures: number;
  /** Chunks whose season the plan does not cover (403 / 5007): set aside until the plan recheck. */
  chunksNotInPlan: number;
  fixturesDiscovered: number;
  /** Fixtures asked from fixtures/multi. */
  fixturesRequested: number;
  fixturesInserted: number;
  fixturesUpdated: number;
  fixturesUnchanged: number;
  fixturesFailed: number;
  rowsWritten: number;
}

export interface DryRunChunk {
  chunkId: string;
  /** Fixtures known to need work (from the database). */
  pendingFixtures: number;
  /** Schedule fixtures not in the database yet (would be registered and collected). */
  newFixtures: number;
  /** fixtures/multi calls this chunk would take at the batch size. */
  multiCalls: number;
}

export interface CollectResult {
  /** Null for a dry run (it starts no execution). */
  executionId: string | null;
  status: "COMPLETED" | "FAILED" | "CANCELLED";
  stopReason: StopReason;
  /** Why it stopped, in words (for no_work: what the claim queue holds back, e.g. chunks held by another run). */
  stopMessage: string;
  /** True when claimable work was left (budget, limits, rate limit, cancel). */
  workLeft: boolean;
  dryRun: boolean;
  durationMs: number;
  counters: CollectCounters;
  api: ApiUsage;
  /** One line per error worth a human's attention (fatal or per chunk). */
  errors: string[];
  /** The dry run's plan: the chunks it would claim, in order. */
  plan?: DryRunChunk[];
  /** CPU and memory the run used, as its resource budget counted them. */
  resources: ResourceUse;
  /** How fixtures/multi answers reached the database: piped through this process, or fetched by Postgres (pg_net). */
  fixtureAnswers: "pipe" | "database";
  /** PerformanceTracker snapshot (timings per operation), when tracked. */
  performance?: Record<string, unknown>;
}

export function emptyCounters(): CollectCounters {
  return {
    chunksClaimed: 0,
    chunksCompleted: 0,
    chunksLeftPending: 0,
    chunksFailed: 0,
    chunksLeaseLost: 0,
    chunksBelowMinFixtures: 0,
    fixturesDiscovered: 0,
    chunksNotInPlan: 0,
    fixturesRequested: 0,
    fixturesInserted: 0,
    fixturesUpdated: 0,
    fixturesUnchanged: 0,
    fixturesFailed: 0,
    rowsWritten: 0,
  };
}

/** Counts API traffic from the Sportmonks client's hooks, in total and per entity. */
export class ApiUsageMeter {
  readonly usage: ApiUsage = {
    calls: 0,
    byEndpoint: {},
    errors: 0,
    rateLimited: 0,
    retries: 0,
    waitedMs: 0,
    remainingByEntity: {},
    byEntity: {},
  };

  constructor(private readonly now: () => number = Date.now) {}

  readonly onRequest = (event: SportmonksRequestEvent): void => {
    const u = this.usage;
    const entity = event.entity ?? "unknown";
    u.byEntity[entity] ??= { calls: 0, errors: 0, rateLimited: 0, retries: 0, lastSuccessAt: null };
    const e = u.byEntity[entity];
    u.calls++;
    e.calls++;
    u.byEndpoint[event.endpoint] = (u.byEndpoint[event.endpoint] ?? 0) + 1;
    if (event.attempt > 1) {
      u.retries++;
      e.retries++;
    }
    if (event.error) {
      u.errors++;
      e.errors++;
    } else {
      e.lastSuccessAt = new Date(this.now()).toISOString();
    }
    if (isRateLimited(event)) {
      u.rateLimited++;
      e.rateLimited++;
    }
    if (event.entity && event.rateLimitRemaining !== null) u.remainingByEntity[event.entity] = event.rateLimitRemaining;
  };

  /** `rate_limit.remaining` read from an answer the client passed on unread (the fixtures pipe). */
  noteRemaining(entity: string, remaining: number): void {
    this.usage.remainingByEntity[entity] = remaining;
  }

  readonly onWait = (event: SportmonksWaitEvent): void => {
    this.usage.waitedMs += event.waitMs;
  };
}

export function isRateLimited(event: SportmonksRequestEvent): boolean {
  return event.error === "rate_limited" || event.status === 429;
}
