// Injectable faults. Each /v3 request n draws its fault from hash(seed, n), so a
// run with the same seed and the same request order meets the same faults;
// "next N requests" overrides are queued and served first.

import { z } from "zod";
import { hashParts } from "./random.ts";

export const FAULT_KINDS = ["server_error", "rate_limit", "slow", "timeout", "truncated"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const probability = z.number().min(0).max(1);

export const faultSettingsSchema = z
  .object({
    /** Probability per request of an HTTP 500/502/503. */
    serverError: probability.optional(),
    /** Probability of a spurious 429 (budget untouched, short Retry-After). */
    rateLimit: probability.optional(),
    /** Probability of answering only after `slowMs`. */
    slow: probability.optional(),
    /** Probability of never answering: the socket is dropped after `timeoutMs`. */
    timeout: probability.optional(),
    /** Probability of a 200 whose JSON body is cut short. */
    truncated: probability.optional(),
    slowMs: z.number().int().min(0).max(120_000).optional(),
    timeoutMs: z.number().int().min(0).max(600_000).optional(),
    /** Deterministic faults for the next requests, served in order before any probability. */
    next: z.array(z.object({ kind: z.enum(FAULT_KINDS), count: z.number().int().min(1).max(10_000).default(1) })).optional(),
    /** Drop queued `next` faults and zero every probability first. */
    reset: z.boolean().optional(),
  })
  .strict();

export type FaultSettings = z.input<typeof faultSettingsSchema>;

const PROBABILITY_KEYS: Record<FaultKind, "serverError" | "rateLimit" | "slow" | "timeout" | "truncated"> = {
  server_error: "serverError",
  rate_limit: "rateLimit",
  slow: "slow",
  timeout: "timeout",
  truncated: "truncated",
};

export interface FaultConfig {
  probabilities: Record<FaultKind, number>;
  slowMs: number;
  timeoutMs: number;
  queued: FaultKind[];
}

export class FaultInjector {
  private readonly config: FaultConfig = {
    probabilities: { server_error: 0, rate_limit: 0, slow: 0, timeout: 0, truncated: 0 },
    slowMs: 1500,
    timeoutMs: 30_000,
    queued: [],
  };
  private draws = 0;

  constructor(private readonly seed: number) {}

  /** Applies validated settings; the error names the bad field. */
  update(input: unknown): FaultConfig {
    const parsed = faultSettingsSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`faults.${issue?.path.join(".") || "settings"}: ${issue?.message ?? "invalid"}`, { cause: parsed.error });
    }
    const settings = parsed.data;
    if (settings.reset) {
      for (const kind of FAULT_KINDS) this.config.probabilities[kind] = 0;
      this.config.queued = [];
    }
    const next = { ...this.config.probabilities };
    for (const kind of FAULT_KINDS) {
      const value = settings[PROBABILITY_KEYS[kind]];
      if (value !== undefined) next[kind] = value;
    }
    const total = FAULT_KINDS.reduce((sum, kind) => sum + next[kind], 0);
    if (total > 1) throw new Error(`faults: probabilities add up to ${total}; keep their sum at or below 1`);
    this.config.probabilities = next;
    if (settings.slowMs !== undefined) this.config.slowMs = settings.slowMs;
    if (settings.timeoutMs !== undefined) this.config.timeoutMs = settings.timeoutMs;
    for (const { kind, count } of settings.next ?? []) {
      for (let i = 0; i < count; i++) this.config.queued.push(kind);
    }
    return this.snapshot();
  }

  snapshot(): FaultConfig {
    return { ...this.config, probabilities: { ...this.config.probabilities }, queued: [...this.config.queued] };
  }

  /** The fault (if any) for the next /v3 request, plus a deterministic number for its details. */
  draw(): { kind: FaultKind | null; detail: number } {
    const n = this.draws++;
    const detail = hashParts(this.seed, "fault-detail", n);
    const queued = this.config.queued.shift();
    if (queued) return { kind: queued, detail };
    const roll = hashParts(this.seed, "fault", n) / 4294967296;
    let cumulative = 0;
    for (const kind of FAULT_KINDS) {
      cumulative += this.config.probabilities[kind];
      if (roll < cumulative) return { kind, detail };
    }
    return { kind: null, detail };
  }
}
