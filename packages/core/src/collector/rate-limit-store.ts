// The Sportmonks client's RateLimitStore backed by the database
// (load_api_rate_limit / save_api_rate_limit), so the next run — another
// function instance — starts after a persisted reset instead of hammering a
// throttled entity. The piped answers (fixtures/multi, schedules) need no
// save: Postgres stores their rate_limit with the write. Other saves are thinned: every response updates the limiter, but
// the database only needs to hear about a new hourly window, a sizeable drop
// since the last save, and a budget down to its floor. Each save is an RPC that
// costs the function about 0.65 ms CPU (measured in Deno), so saving on every
// call of a low budget would cost more than the rest of a batch's bookkeeping;
// flush() writes what is left unsaved when the run ends, so the dispatcher
// reads where the budget really stands.
import type { RpcClient } from "../rpc/client.ts";
import type { RateLimitState, RateLimitStore } from "../sportmonks/rate-limit.ts";
import type { CollectorRpcs } from "./rpcs.ts";

export interface DbRateLimitStoreOptions {
  /** Below this remaining, save after every `lowWaterEvery` requests (default 100). */
  lowWater?: number;
  /** Save after this many requests were spent since the last save (default 50). */
  saveEvery?: number;
  /** Requests between saves once remaining is below lowWater (default 10). */
  lowWaterEvery?: number;
  /** Always save once remaining is at or below this: the budget is spent (default 10, the client's reserve). */
  floor?: number;
  /** A reset that moved by more than this is a new window (default 5 000 ms). */
  resetToleranceMs?: number;
}

export interface SavePolicy {
  lowWater: number;
  saveEvery: number;
  lowWaterEvery: number;
  floor: number;
  resetToleranceMs: number;
}

export class DbRateLimitStore implements RateLimitStore {
  readonly #saved = new Map<string, RateLimitState>();
  /** The latest state of each entity not yet saved. */
  readonly #unsaved = new Map<string, RateLimitState>();
  readonly #policy: SavePolicy;

  constructor(
    private readonly rpc: RpcClient<CollectorRpcs>,
    options: DbRateLimitStoreOptions = {},
  ) {
    this.#policy = {
      lowWater: options.lowWater ?? 100,
      saveEvery: options.saveEvery ?? 50,
      lowWaterEvery: options.lowWaterEvery ?? 10,
      floor: options.floor ?? 10,
      resetToleranceMs: options.resetToleranceMs ?? 5_000,
    };
  }

  async load(entity: string): Promise<RateLimitState | null> {
    const row = await this.rpc.call("load_api_rate_limit", { entity });
    if (!row) return null;
    const state = { remaining: row.remaining, resetsAt: new Date(row.resets_at) };
    this.#saved.set(entity, state);
    return { ...state };
  }

  async save(entity: string, state: RateLimitState): Promise<void> {
    if (!shouldSave(this.#saved.get(entity), state, this.#policy)) {
      this.#unsaved.set(entity, { ...state });
      return;
    }
    await this.#write(entity, state);
  }

  /** A state the database stored with the answer it came in (the pipes save rate_limit): nothing to write. */
  async saved(entity: string, state: RateLimitState): Promise<void> {
    this.#saved.set(entity, { ...state });
    this.#unsaved.delete(entity);
  }

  /** Saves the latest state of every entity a thinned save skipped (at the end of a run). */
  async flush(): Promise<void> {
    for (const [entity, state] of [...this.#unsaved]) await this.#write(entity, state);
  }

  async #write(entity: string, state: RateLimitState): Promise<void> {
    await this.rpc.call("save_api_rate_limit", { entity, remaining: state.remaining, resets_at: state.resetsAt.toISOString() });
    this.#saved.set(entity, { ...state });
    this.#unsaved.delete(entity);
  }
}

/** Whether `next` tells the database something the next run or the dispatcher needs now. */
export function shouldSave(last: RateLimitState | undefined, next: RateLimitState, policy: SavePolicy): boolean {
  if (!last) return true;
  if (Math.abs(next.resetsAt.getTime() - last.resetsAt.getTime()) > policy.resetToleranceMs) return true;
  if (next.remaining <= policy.floor) return next.remaining !== last.remaining;
  const step = next.remaining <= policy.lowWater ? policy.lowWaterEvery : policy.saveEvery;
  return last.remaining - next.remaining >= step;
}
