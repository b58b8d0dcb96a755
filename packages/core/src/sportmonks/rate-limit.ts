// Per-entity hourly budget, fed by the `rate_limit` object of every response.
// The client asks before each request and pauses when the entity is down to its
// reserve, so a run spends its budget without collecting 429s. The state goes
// through a pluggable store so the next run (another function instance) knows
// an entity is throttled until its reset.
import type { RateLimit } from "./schemas.ts";

export interface RateLimitState {
  /** Requests left for the entity in the current hour. */
  remaining: number;
  /** When the entity's budget resets. */
  resetsAt: Date;
}

/** Where rate-limit state survives between runs (the collector backs it with the database). */
export interface RateLimitStore {
  load(entity: string): Promise<RateLimitState | null>;
  save(entity: string, state: RateLimitState): Promise<void>;
  /** The state is already stored (written with the answer it came in): note it, don't write it (default: save). */
  saved?(entity: string, state: RateLimitState): Promise<void>;
}

export class InMemoryRateLimitStore implements RateLimitStore {
  readonly #states = new Map<string, RateLimitState>();

  async load(entity: string): Promise<RateLimitState | null> {
    const state = this.#states.get(entity);
    return state ? { ...state } : null;
  }

  async save(entity: string, state: RateLimitState): Promise<void> {
    this.#states.set(entity, { ...state });
  }
}

export interface RateLimiterOptions {
  store: RateLimitStore;
  /** Requests kept back per entity: the limiter pauses when `remaining` reaches it. */
  reserve: number;
  now: () => number;
}

export interface Permit {
  /** How long to wait before sending (0: go now). */
  waitMs: number;
  resetsAt: Date | null;
}

export class RateLimiter {
  readonly #options: RateLimiterOptions;
  readonly #states = new Map<string, RateLimitState | null>();

  constructor(options: RateLimiterOptions) {
    this.#options = options;
  }

  /** The known state of an entity (loaded from the store the first time), or null when unknown or reset. */
  async state(entity: string): Promise<RateLimitState | null> {
    if (!this.#states.has(entity)) this.#states.set(entity, await this.#options.store.load(entity));
    const state = this.#states.get(entity) ?? null;
    if (state && state.resetsAt.getTime() <= this.#options.now()) {
      this.#states.set(entity, null);
      return null;
    }
    return state;
  }

  /**
   * Reserve one request for `entity`. When the entity is down to its reserve the
   * permit says how long to wait for the reset; otherwise it counts the request
   * against the local copy of the budget, so concurrent requests do not overshoot
   * before the next response corrects it.
   */
  async acquire(entity: string): Promise<Permit> {
    const state = await this.state(entity);
    if (!state) return { waitMs: 0, resetsAt: null };
    if (state.remaining <= this.#options.reserve) {
      return { waitMs: Math.max(0, state.resetsAt.getTime() - this.#options.now()), resetsAt: state.resetsAt };
    }
    state.remaining -= 1;
    return { waitMs: 0, resetsAt: state.resetsAt };
  }

  /** Take the authoritative numbers from a response; `saved`: the store already holds them. */
  async record(rateLimit: RateLimit, saved = false): Promise<RateLimitState> {
    const state = {
      remaining: rateLimit.remaining,
      resetsAt: new Date(this.#options.now() + rateLimit.resets_in_seconds * 1000),
    };
    await this.#set(rateLimit.requested_entity, state, saved);
    return state;
  }

  /** A 429 said the entity is spent until `resetsAt`. */
  async exhausted(entity: string, resetsAt: Date): Promise<void> {
    await this.#set(entity, { remaining: 0, resetsAt });
  }

  async #set(entity: string, state: RateLimitState, saved = false): Promise<void> {
    this.#states.set(entity, { ...state });
    const store = this.#options.store;
    if (saved && store.saved) await store.saved(entity, state);
    else await store.save(entity, state);
  }
}
