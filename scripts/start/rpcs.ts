// The RPCs `npm start` calls: the collector's (chunks, executions, metrics) plus
// the collection overview and the scheduling RPCs of migration 0004.
import { collectorRpcs } from "@watermark/core/collector";
import { z } from "zod";

const invocationRow = z.object({
  id: z.number(),
  function_name: z.string(),
  request_id: z.number().nullable(),
  requested_at: z.string(),
  trigger: z.enum(["schedule", "backlog", "manual"]),
  status: z.enum(["queued", "succeeded", "failed", "timed_out"]),
  status_code: z.number().nullable(),
  error: z.string().nullable(),
  response_body: z.unknown().nullable(),
  responded_at: z.string().nullable(),
  execution_id: z.string().nullable(),
});
export type InvocationRow = z.output<typeof invocationRow>;

const collectionOverview = z.looseObject({
  chunks: z.looseObject({ total: z.number(), pending: z.number(), running: z.number(), done: z.number(), failed: z.number() }),
  fixtures: z.looseObject({ discovered: z.number(), collected: z.number(), pending: z.number(), failed: z.number() }),
  rate_limits: z.array(z.object({ entity: z.string(), remaining: z.number().nullable(), resets_at: z.string().nullable() })),
});
export type CollectionOverview = z.output<typeof collectionOverview>;

export const startRpcs = {
  ...collectorRpcs,
  get_collection_overview: { args: z.object({}), result: collectionOverview },
  list_function_invocations: {
    args: z.object({ function_name: z.string().optional(), max_rows: z.number().int().optional() }),
    result: z.array(invocationRow),
  },
  request_function_invocation: {
    args: z.object({ function_name: z.string(), body: z.record(z.string(), z.unknown()).optional() }),
    result: z.number(),
  },
  harvest_function_invocations: { args: z.object({}), result: z.number() },
  list_function_schedules: {
    args: z.object({}),
    result: z.array(
      z.looseObject({
        function_name: z.string(),
        cron_expression: z.string(),
        enabled: z.boolean(),
        cron_active: z.boolean(),
        paused_reason: z.string().nullable(),
      }),
    ),
  },
};
export type StartRpcs = typeof startRpcs;
