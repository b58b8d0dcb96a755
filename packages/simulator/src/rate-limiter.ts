// Per-entity hourly budgets as the real API keeps them: the window opens with the
// first request to an entity and resets one (simulated) hour later.

import { HOUR } from "./clock.ts";

export interface RateLimitState {
  allowed: boolean;
  remaining: number;
  resetsInMs: number;
}

export class RateLimiter {
  private readonly windows = new Map<string, { startMs: number; used: number }>();

  constructor(readonly hourlyLimit: number) {}

  private window(entity: string, nowMs: number) {
    let window = this.windows.get(entity);
    if (!window || nowMs >= window.startMs + HOUR) {
      window = { startMs: nowMs, used: 0 };
      this.windows.set(entity, window);
    }
    return window;
  }

  /** Spends one call if the budget allows it. */
  consume(entity: string, nowMs: number): RateLimitState {
    const window = this.window(entity, nowMs);
    const allowed = window.used < this.hourlyLimit;
    if (allowed) window.used++;
    return { allowed, remaining: this.hourlyLimit - window.used, resetsInMs: window.startMs + HOUR - nowMs };
  }

  /** Every entity whose window is open at `nowMs`, with the calls spent in it. */
  openWindows(nowMs: number): Map<string, RateLimitState & { used: number }> {
    const open = new Map<string, RateLimitState & { used: number }>();
    for (const [entity, window] of this.windows) {
      if (nowMs < window.startMs + HOUR) open.set(entity, { ...this.peek(entity, nowMs), used: window.used });
    }
    return open;
  }

  /** The budget as it stands, without spending (for responses that cost nothing). */
  peek(entity: string, nowMs: number): RateLimitState {
    const window = this.windows.get(entity);
    if (!window || nowMs >= window.startMs + HOUR) return { allowed: true, remaining: this.hourlyLimit, resetsInMs: HOUR };
    return {
      allowed: window.used < this.hourlyLimit,
      remaining: this.hourlyLimit - window.used,
      resetsInMs: window.startMs + HOUR - nowMs,
    };
  }
}
