// The viewer RPCs the CLI reads beyond the monitoring and alert registries (chunks, the access
// audit): rows stay loosely typed JSON, as --export writes them out unchanged.
import { z } from "zod";

const jsonRows = z.array(z.record(z.string(), z.unknown()));

/** get_collection_overview().backlog: what collection still has to do and how long it should take. */
export const collectionBacklog = z.object({
  chunks_claimable: z.number(),
  chunks_leased: z.number(),
  chunks_undiscovered: z.number(),
  fixtures_needing_work: z.number(),
  calls_needed: z.number(),
  workers: z.object({ running: z.number(), starting: z.number(), max: z.number() }),
  rate_limit: z.object({
    entity: z.string(),
    calls_per_hour: z.number(),
    remaining: z.number().nullable(),
    resets_at: z.string().nullable(),
  }),
  fixtures_per_minute: z.number(),
  rate_limit_bound_seconds: z.number(),
  expected_drain_seconds: z.number(),
  dispatch: z.object({ enabled: z.boolean(), decision: z.string().nullable(), wait_until: z.string().nullable() }).loose(),
});
export type CollectionBacklog = z.output<typeof collectionBacklog>;

export const dashboardReadRpcs = {
  get_collection_overview: {
    args: z.object({}),
    result: z.object({ backlog: collectionBacklog }).loose(),
  },
  list_chunks: {
    args: z.object({ max_rows: z.number().int().min(1).max(1000).optional() }),
    result: jsonRows,
  },
  get_access_audit: {
    args: z.object({ hours: z.number().int().min(1).max(168).optional(), max_rows: z.number().int().min(1).max(500).optional() }),
    result: z.object({
      window_start: z.string(),
      per_hour: jsonRows,
      top_callers: jsonRows,
      changes: jsonRows,
      recent: jsonRows,
    }),
  },
};
