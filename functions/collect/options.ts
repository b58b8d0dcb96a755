// The collect function's environment and request body, validated at the top of
// the handler. Body fields are snake_case like the CLI's flags and the RPCs.
import { httpUrl, secret, serviceEnvSchema } from "@watermark/core/config";
import { SPORTMONKS_MAX_MULTI_IDS } from "@watermark/core/sportmonks";
import { z } from "zod";

/** Wall clock of an edge function: 150 s on the free plan, 400 s on paid plans. */
export const MAX_WALL_CLOCK_SECONDS = 400;
/** Left for answering, releasing the lease and finishing the execution. */
export const WALL_CLOCK_MARGIN_SECONDS = 15;
/**
 * The platform kills a worker past 2 s of CPU or 256 MB (546 WORKER_LIMIT),
 * with no chance to release its lease; the run stops cleanly under these
 * (docs/collection.md, Platform limits). The CPU margin covers the worker's
 * boot, the request handling outside the run and a counter that lags.
 */
export const FUNCTION_CPU_BUDGET_MS = 1_500;
export const FUNCTION_MEMORY_BUDGET_MB = 150;

export const collectEnvSchema = serviceEnvSchema.extend({
  SPORTMONKS_API_KEY: secret("Sportmonks API token"),
  SPORTMONKS_BASE_URL: httpUrl.optional(),
  WATERMARK_FUNCTION_WALL_CLOCK_SECONDS: z.coerce
    .number()
    .int()
    .min(30, { message: "must be at least 30 (seconds)" })
    .max(MAX_WALL_CLOCK_SECONDS, { message: `must be at most ${MAX_WALL_CLOCK_SECONDS}: 150 on the free plan, 400 on paid plans` })
    .default(150),
  // database: Postgres fetches fixtures/multi answers through pg_net, so their megabytes never cost the
  // function CPU (docs/collection.md, Platform limits); pipe: they stream through the function.
  WATERMARK_FIXTURE_ANSWERS: z
    .enum(["database", "pipe"], {
      message: "must be database (Postgres fetches answers through pg_net) or pipe (they stream through the function)",
    })
    .default("database"),
});
export type CollectEnv = z.output<typeof collectEnvSchema>;

const id = z.number().int().positive();

/** The body schema for a function whose wall clock is `wallClockSeconds`. */
export function collectBodySchema(wallClockSeconds: number) {
  const maxBudget = wallClockSeconds - WALL_CLOCK_MARGIN_SECONDS;
  return z
    .object({
      league_id: id.optional(),
      season_id: id.optional(),
      max_chunks: id.optional(),
      max_fixtures: id.optional(),
      batch_size: z
        .number()
        .int()
        .min(1)
        .max(SPORTMONKS_MAX_MULTI_IDS, {
          message: `must be at most ${SPORTMONKS_MAX_MULTI_IDS} (fixtures/multi takes at most ${SPORTMONKS_MAX_MULTI_IDS} ids)`,
        })
        .optional(),
      min_fixtures: z.number().int().nonnegative().optional(),
      dry_run: z.boolean().default(false),
      time_budget_seconds: z
        .number()
        .int()
        .min(10)
        .max(maxBudget, {
          message: `must be at most ${maxBudget}: the function's wall clock is ${wallClockSeconds} s (WATERMARK_FUNCTION_WALL_CLOCK_SECONDS) minus ${WALL_CLOCK_MARGIN_SECONDS} s to finish`,
        })
        .default(maxBudget),
    })
    .strict();
}
export type CollectBody = z.output<ReturnType<typeof collectBodySchema>>;
