// Simulator options, validated once: every error names the option and the fix.

import { z } from "zod";
import { MINUTE } from "./clock.ts";
import { faultSettingsSchema } from "./faults.ts";

const instant = z.union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()]);
const rate = z.number().min(0).max(1);
const toMs = (value: string | number) => (typeof value === "number" ? value : Date.parse(value));

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
    /** Cup competitions (group stage, two-legged quarter- and semi-finals, a final), 16 teams each. */
    cups: z.number().int().min(0).max(4).default(1),
    /** Extra leagues listed by `leagues`/`seasons` whose schedules and fixtures answer 403 (code 5007). */
    leaguesOutsidePlan: z.number().int().min(0).max(5).default(0),
    /** The simulated "now" at start: ISO string or epoch ms; defaults to the wall clock, floored to the minute. */
    now: instant.optional(),
    /**
     * When every league's and cup's next season appears (ISO or epoch ms); it kicks off a week later.
     * Default: three weeks after the current season's last kickoff.
     */
    nextSeasonAt: instant.optional(),
    /** When a new league (higher id, one season kicking off a week later) joins the plan; default: never. */
    newLeagueAt: instant.optional(),
    /** Share of league fixtures postponed hours before kickoff, then rescheduled 1–3 weeks later. */
    postponementRate: rate.default(0.03),
    /** Share of league fixtures cancelled hours before kickoff. */
    cancellationRate: rate.default(0.005),
    /** Share of league fixtures abandoned during the match. */
    abandonmentRate: rate.default(0.005),
    /** Share of finished league and group-stage fixtures whose result is corrected after full time. */
    correctionRate: rate.default(0.1),
    /** A correction comes out this many simulated minutes after full time (uniform in [min, max]). */
    correctionDelayMinutes: z
      .object({
        min: z
          .number()
          .min(0)
          .max(30 * 24 * 60),
        max: z
          .number()
          .min(0)
          .max(30 * 24 * 60),
      })
      .strict()
      .refine((d) => d.min <= d.max, "min must not exceed max")
      .default({ min: 30, max: 20 * 60 }),
    /** Simulated seconds per real second; 0 freezes time (move it with advanceTime). */
    timeScale: z.number().min(0).max(1_000_000).default(1),
    /**
     * Serve every instant on the real clock (world time ÷ timeScale from the wall clock at start), so a
     * consumer whose own clock is the real one follows a compressed world; needs timeScale > 0.
     */
    realClockStamps: z.boolean().default(false),
    /**
     * Per-player match statistics under `lineups.details`, as a league with
     * player coverage has them: a played fixture then answers about 50 KB, like
     * the real sample. Off, `details` is an empty list (a league without that
     * coverage), which keeps the test suite's worlds light; the benches turn it on.
     */
    playerDetails: z.boolean().default(false),
    /** Calls per entity per (simulated) hour. */
    hourlyLimit: z.number().int().min(1).max(1_000_000).default(3000),
    apiKey: z.string().min(1).default("simulator-key"),
    port: z.number().int().min(0).max(65_535).default(0),
    /** `fixtures/latest` returns fixtures changed within this many (wall-clock) seconds. */
    latestWindowSeconds: z.number().positive().max(86_400).default(10),
    faults: faultSettingsSchema.optional(),
  })
  .strict()
  .refine((o) => o.leagues + o.leaguesOutsidePlan <= 20, {
    path: ["leaguesOutsidePlan"],
    message: "leagues + leaguesOutsidePlan must not exceed 20",
  })
  .refine((o) => !o.realClockStamps || o.timeScale > 0, {
    path: ["realClockStamps"],
    message: "needs timeScale > 0 (a frozen world has no real-clock pace); set timeScale, e.g. 10000, or drop realClockStamps",
  })
  .refine((o) => o.postponementRate + o.cancellationRate + o.abandonmentRate <= 1, {
    path: ["postponementRate"],
    message: "postponementRate + cancellationRate + abandonmentRate must not exceed 1",
  });

export type SimulatorOptions = z.input<typeof simulatorOptionsSchema>;
export type ResolvedOptions = z.output<typeof simulatorOptionsSchema> & {
  nowMs: number;
  nextSeasonAtMs: number | null;
  newLeagueAtMs: number | null;
};

export function resolveOptions(input: SimulatorOptions = {}): ResolvedOptions {
  const parsed = simulatorOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join(".") || "options";
    throw new Error(`simulator option ${field}: ${issue?.message ?? "invalid"}`, { cause: parsed.error });
  }
  const { now, nextSeasonAt, newLeagueAt } = parsed.data;
  return {
    ...parsed.data,
    nowMs: now === undefined ? Math.floor(Date.now() / MINUTE) * MINUTE : toMs(now),
    nextSeasonAtMs: nextSeasonAt === undefined ? null : toMs(nextSeasonAt),
    newLeagueAtMs: newLeagueAt === undefined ? null : toMs(newLeagueAt),
  };
}
