// Simulator options, validated once: every error names the option and the fix.

import { z } from "zod";
import { MINUTE } from "./clock.ts";
import { faultSettingsSchema } from "./faults.ts";

const simulatorOptionsSchema = z
  .object({
    /** Seed for the dataset and the fault sequence. */
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(1),
    leagues: z.number().int().min(1).max(20).default(4),
    seasonsPerLeague: z.number().int().min(1).max(5).default(2),
    teamsPerLeague: z
      .number()
      .int()
      .min(4)
      .max(24)
      .refine((n) => n % 2 === 0, "must be even (every team plays every round)")
      .default(10),
    /** The simulated "now" at start: ISO string or epoch ms; defaults to the wall clock, floored to the minute. */
    now: z.union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()]).optional(),
    /** Simulated seconds per real second; 0 freezes time (move it with advanceTime). */
    timeScale: z.number().min(0).max(1_000_000).default(1),
    /** Calls per entity per (simulated) hour. */
    hourlyLimit: z.number().int().min(1).max(1_000_000).default(3000),
    apiKey: z.string().min(1).default("simulator-key"),
    port: z.number().int().min(0).max(65_535).default(0),
    /** `fixtures/latest` returns fixtures changed within this many (wall-clock) seconds. */
    latestWindowSeconds: z.number().positive().max(86_400).default(10),
    faults: faultSettingsSchema.optional(),
  })
  .strict();

export type SimulatorOptions = z.input<typeof simulatorOptionsSchema>;
export type ResolvedOptions = z.output<typeof simulatorOptionsSchema> & { nowMs: number };

export function resolveOptions(input: SimulatorOptions = {}): ResolvedOptions {
  const parsed = simulatorOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join(".") || "options";
    throw new Error(`simulator option ${field}: ${issue?.message ?? "invalid"}`, { cause: parsed.error });
  }
  const now = parsed.data.now;
  const nowMs = now === undefined ? Math.floor(Date.now() / MINUTE) * MINUTE : typeof now === "number" ? now : Date.parse(now);
  return { ...parsed.data, nowMs };
}
