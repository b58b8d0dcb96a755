// Options of one collection run, validated once: every error names the option
// and the fix. The CLI, the edge function and npm start all go through this.
import { z } from "zod";
import { DEFAULT_HEARTBEAT_INTERVAL_MS } from "../monitoring/etl-monitor.ts";
import { invalidParameter } from "../rpc/client.ts";
import { SPORTMONKS_MAX_MULTI_IDS } from "../sportmonks/client.ts";

export const collectOptionsSchema = z
  .object({
    /** Wall-clock budget of the run; it stops early enough to release its lease and finish in time. */
    timeBudgetMs: z
      .number()
      .int()
      .min(1_000)
      .max(24 * 3_600_000)
      .default(120_000),
    leagueId: z.number().int().positive().optional(),
    seasonId: z.number().int().positive().optional(),
    /** Stop after this many chunks were claimed. */
    maxChunks: z.number().int().positive().optional(),
    /** Stop after this many fixtures were fetched. */
    maxFixtures: z.number().int().positive().optional(),
    /** Fixture ids per fixtures/multi call (the API's limit, SPORTMONKS_MAX_MULTI_IDS). */
    batchSize: z
      .number()
      .int()
      .min(1)
      .max(SPORTMONKS_MAX_MULTI_IDS, {
        message: `must be at most ${SPORTMONKS_MAX_MULTI_IDS} (fixtures/multi takes at most ${SPORTMONKS_MAX_MULTI_IDS} ids)`,
      })
      .default(SPORTMONKS_MAX_MULTI_IDS),
    /** Chunks known to hold fewer fixtures are skipped (default: collection_settings.min_fixtures). */
    minFixtures: z.number().int().nonnegative().optional(),
    /** Clear the matching chunks' checkpoints before collecting (audited). */
    clearCheckpoint: z.boolean().default(false),
    /** Make the leagueId / seasonId fixtures due now and re-read their schedule before collecting (audited). */
    requeue: z.boolean().default(false),
    /** Make these fixtures due now before collecting (audited). */
    requeueFixtureIds: z.array(z.number().int().positive()).min(1).max(10_000).optional(),
    /** Reads only: no lease, no execution, no rows, no persisted rate limits. */
    dryRun: z.boolean().default(false),
    /** Who holds the leases (host, function instance); shows up in list_chunks. */
    owner: z.string().trim().min(1).max(200).default("collector"),
    leaseSeconds: z.number().int().min(10).max(3_600).default(120),
    /** Read the whole catalog now, not only ids above the known ones. */
    refreshCatalog: z.boolean().default(false),
    /**
     * CPU milliseconds the run may use before it stops cleanly (stop reason
     * cpu_budget). The collect function sets it under the platform's 2 s per
     * request; unset, CPU is only measured (CLI runs have no such limit).
     */
    cpuBudgetMs: z.number().int().min(1).max(3_600_000).optional(),
    /** Megabytes the run may hold before it stops cleanly (stop reason memory_budget); the function's limit is 256. */
    memoryBudgetMb: z.number().int().min(1).max(65_536).optional(),
    /** Per-batch timing metrics (the seed's --track-performance). */
    trackPerformance: z.boolean().default(false),
    /** Three beats within the database's default 60 s heartbeat timeout (the reaper then abandons a dead run within 2 minutes). */
    heartbeatIntervalMs: z.number().int().min(1_000).max(600_000).default(DEFAULT_HEARTBEAT_INTERVAL_MS),
    trigger: z.enum(["schedule", "backlog", "manual", "api"]).default("manual"),
    correlationId: z.string().trim().min(1).optional(),
  })
  .strict();

export type CollectOptions = z.input<typeof collectOptionsSchema>;
export type ResolvedCollectOptions = z.output<typeof collectOptionsSchema>;

export function resolveCollectOptions(input: CollectOptions = {}): ResolvedCollectOptions {
  const parsed = collectOptionsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw invalidParameter("collect()", parsed.error, { root: "options", hint: "collect(): fix the option; nothing was started" });
}
