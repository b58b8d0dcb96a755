// The Sportmonks client's RateLimitStore backed by the database
// (load_api_rate_limit / save_api_rate_limit), so the next run — another
// function instance — starts after a persisted reset instead of hammering a
// throttled entity. Saves are thinned: every response updates the limiter, but
// the database only needs to hear about a new hourly window, a budget running
// low, or a sizeable drop since the last save.
import type { RpcClient } from "../rpc/client.ts";
import type { RateLimitState, RateLimitStore } from "../sportmonks/rate-limit.ts";
import type { CollectorRpcs } from "./rpcs.ts";

export interface DbRateLimitStoreOptions {
  /** Always save once remaining is at or below this (default 100). */
  lowWater?: number;
  /** Save after this many requests were spent since the last save (default 50). */
  saveEvery?: number;
  /** A reset that moved by more than this is a new window (default 5 000 ms). */
  resetToleranceMs?: number;
}

export class DbRateLimitStore implements RateLimitStore {
  readonly #saved = new Map<string, RateLimitState>();
  readonly #lowWater: number;
  readonly #saveEvery: number;
  readonly #resetToleranceMs: number;

  constructor(
    private readonly rpc: RpcClient<CollectorRpcs>,
    options: DbRateLimitStoreOptions = {},
  ) {
    this.#lowWater = options.lowWater ?? 100;
    this.#saveEvery = options.saveEvery ?? 50;
    this.#resetToleranceMs = options.resetToleranceMs ?? 5_000;
  }

  async load(entity: string): Promise<RateLimitState | null> {
    const row = await this.rpc.call("load_api_rate_limit", { entity });
    if (!row) return null;
    const state = { remaining: row.remaining, resetsAt: new Date(row.resets_at) };
    this.#saved.set(entity, state);
    return { ...state };
  }

  async save(entity: string, state: RateLimitState): Promise<void> {
    if (!shouldSave(this.#saved.get(entity), state, this.#lowWater, this.#saveEvery, this.#resetToleranceMs)) return;
    await this.rpc.call("save_api_rate_limit", { entity, remaining: state.remaining, resets_at: state.resetsAt.toISOString() });
    this.#saved.set(entity, { ...state });
  }
}

/** Whether `next` tells the database something the next run needs. */
export function shouldSave(
  last: RateLimitState | undefined,
  next: RateLimitState,
  lowWater: number,
  saveEvery: number,
  resetToleranceMs: number,
): boolean {
  if (!last) return true;
  if (Math.abs(next.resetsAt.getTime() - last.resetsAt.getTime()) > resetToleranceMs) return true;
  if (next.remaining <= lowWater) return next.remaining !== last.remaining;
  return last.remaining - next.remaining >= saveEvery;
}
