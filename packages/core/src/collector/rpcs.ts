// zod schemas for the collection RPCs (migration 0003): arguments as the
// database names them, results as PostgREST returns them. The database stays
// authoritative; these fail fast with the same field names.
import { z } from "zod";
import { count, jsonObject, monitoringRpcs, numeric, text } from "../rpc/schemas.ts";
import { rateLimitSchema } from "../sportmonks/schemas.ts";

const id = z.number().int().positive();
const uuid = z.uuid();
const timestamp = z.string().min(1);

export const checkpointSchema = z.looseObject({ last_fixture_id: id.optional() });
export type Checkpoint = z.output<typeof checkpointSchema>;

export const claimedChunkSchema = z.object({
  chunk_id: text,
  league_id: id,
  season_id: id,
  lease_token: uuid,
  lease_expires_at: timestamp,
  checkpoint: checkpointSchema,
  priority: numeric.nullable(),
  attempts: count,
  fixtures_total: count.nullable(),
  fixtures_pending: count.nullable(),
  discovered_at: timestamp.nullable(),
  needs_discovery: z.boolean(),
  /** The min_fixtures threshold the claim applied; a chunk found smaller after discovery is released. */
  min_fixtures: count,
  taken_over_from: z.string().nullable(),
});
export type ClaimedChunk = z.output<typeof claimedChunkSchema>;

/** A league or season row for sync_collection_catalog: the API object itself. */
const catalogItem = z.looseObject({ id });

/** A two-legged tie as register_chunk_fixtures stores it (schedule_entries' tie rows). */
const tieSchema = z.object({
  id,
  season_id: id.nullable(),
  stage_id: id.nullable(),
  name: z.string().nullable(),
  fixture_ids: z.array(id),
  result: z.string().nullable(),
  detail: z.string().nullable(),
  winner_participant_id: id.nullable(),
});

/** What register_chunk_fixtures (and pipe_schedule_response) registered. */
export const registeredScheduleSchema = z.object({
  registered: count,
  known: count,
  /** Collected fixtures the schedule shows moved (new kickoff or state): due again now. */
  moved: count,
  ties: count,
  fixtures_total: count.nullable(),
  fixtures_pending: count.nullable(),
  priority: numeric.nullable(),
});

/** pipe_schedule_response's result: the registration and the answer's rate_limit (already saved). */
export const scheduleResponseResultSchema = registeredScheduleSchema.extend({ rate_limit: rateLimitSchema.nullable() });

/** pipe_schedule_preview's result: what a schedule answer holds, nothing registered. */
export const schedulePreviewSchema = z.object({ fixtures: count, ties: count, rate_limit: rateLimitSchema.nullable() });

export const fixtureFailureSchema = z.object({ fixture_id: id, error: text });
export type FixtureFailure = z.output<typeof fixtureFailureSchema>;

export const batchResultSchema = z.object({
  inserted: count,
  updated: count,
  unchanged: count,
  failed: count,
  rows_written: count,
  checkpoint: checkpointSchema,
});
export type BatchResult = z.output<typeof batchResultSchema>;

/** Chunk statuses as list_chunks reports them ('stalled': running, lease expired). */
export const CHUNK_STATUSES = ["pending", "running", "done", "failed", "not_in_plan", "stalled"] as const;

/** What holds a chunk back from claim_chunk (watermark.chunk_blocker); null = claimable now. */
export const CHUNK_BLOCKERS = ["leased", "not_in_plan", "backoff", "below_min_fixtures", "no_work"] as const;

export const chunkQueueEntrySchema = z.object({
  chunk_id: text,
  league_id: id,
  season_id: id,
  priority: numeric.nullable(),
  claimable: z.boolean(),
  blocked_by: z.enum(CHUNK_BLOCKERS).nullable(),
  blocked_until: timestamp.nullable(),
  needs_discovery: z.boolean(),
  fixtures_total: count.nullable(),
  fixtures_due: count,
  lease_owner: z.string().nullable(),
  last_error: z.string().nullable(),
});
export type ChunkQueueEntry = z.output<typeof chunkQueueEntrySchema>;

/** The live watermark.collection_settings row (get_collection_settings). */
export const collectionSettingsSchema = z.looseObject({
  min_fixtures: count,
  rediscover_after_seconds: count,
  settle_after_seconds: z.array(count),
  final_state_ids: z.array(z.number().int()),
  parked_state_ids: z.array(z.number().int()),
  live_recollect_seconds: count,
  catalog_refresh_seconds: count,
  plan_recheck_seconds: count,
});
export type CollectionSettings = z.output<typeof collectionSettingsSchema>;

export const chunkProgressSchema = z.object({
  chunk_id: text,
  league_id: id,
  league_name: z.string().nullable(),
  season_id: id,
  season_name: z.string().nullable(),
  status: z.enum(CHUNK_STATUSES),
  priority: numeric.nullable(),
  fixtures_total: count.nullable(),
  fixtures_collected: count,
  fixtures_pending: count,
  fixtures_failed: count,
  attempts: count,
  next_attempt_at: timestamp.nullable(),
  last_error: z.string().nullable(),
  lease_owner: z.string().nullable(),
  lease_expires_at: timestamp.nullable(),
  checkpoint: checkpointSchema,
  discovered_at: timestamp.nullable(),
  settled_at: timestamp.nullable(),
  not_in_plan_until: timestamp.nullable(),
  completed_at: timestamp.nullable(),
  last_execution_id: z.string().nullable(),
});
export type ChunkProgress = z.output<typeof chunkProgressSchema>;

export const pipelineStatusSchema = z.object({
  pipeline: z.string(),
  entity: z.string(),
  source_total: count.nullable(),
  target_total: count.nullable(),
  coverage_percent: numeric.nullable(),
  watermark: z.string().nullable(),
  pending: count.nullable(),
  source_max_updated_at: timestamp.nullable(),
  target_max_updated_at: timestamp.nullable(),
  freshness_minutes: numeric.nullable(),
  last_run_at: timestamp.nullable(),
  last_success_at: timestamp.nullable(),
  last_status: z.string().nullable(),
  last_error: z.string().nullable(),
  last_execution_id: z.string().nullable(),
  last_duration_seconds: numeric.nullable(),
  throughput_rows_per_sec: numeric.nullable(),
  expected_interval_seconds: z.number().int().nullable(),
  overdue: z.boolean(),
});
export type PipelineStatus = z.output<typeof pipelineStatusSchema>;

const rateLimitRow = z.object({ entity: text, remaining: count, resets_at: timestamp, updated_at: timestamp });

const leaseArgs = { chunk_id: text, lease_token: uuid };

/** upsert_fixture_response's result: the batch's counts and the answer's rate_limit, which it saved. */
const fixtureResponseResultSchema = batchResultSchema.extend({ rate_limit: rateLimitSchema.nullable() });

/** What take_fixture_answer found: still pending, a 200 written, or the answer for the client to read. */
const fixtureAnswerSchema = z.union([
  z.object({ pending: z.literal(true) }),
  z.object({ written: fixtureResponseResultSchema }),
  z.object({ status: z.literal(200), malformed: z.literal(true), bytes: count }),
  z.object({ failed: z.literal(true), timed_out: z.boolean(), error: z.string() }),
  z.object({
    refused: z.object({ code: z.string().min(1), message: z.string(), details: z.string().nullable(), hint: z.string().nullable() }),
  }),
  z.object({ status: z.number().int(), retry_after: z.string().nullable(), body: z.string().nullable() }),
]);
export type FixtureAnswer = z.output<typeof fixtureAnswerSchema>;

export const collectionRpcs = {
  sync_collection_catalog: {
    args: z.object({
      leagues: z.array(catalogItem),
      seasons: z.array(catalogItem.extend({ league_id: id })).optional(),
      full_refresh: z.boolean().optional(),
      execution_id: text.optional(),
    }),
    result: z.object({ leagues: count, seasons: count, chunks_created: count }),
  },
  get_catalog_cursor: {
    args: z.object({}),
    result: z.object({
      league_id_after: id.nullable(),
      season_id_after: id.nullable(),
      last_full_sync_at: timestamp.nullable(),
      full_refresh_due: z.boolean(),
    }),
  },
  get_collection_settings: {
    args: z.object({}),
    result: collectionSettingsSchema,
  },
  list_chunk_queue: {
    args: z.object({
      league_id: id.optional(),
      season_id: id.optional(),
      min_fixtures: count.optional(),
      max_rows: z.number().int().min(1).max(10000).optional(),
    }),
    result: z.array(chunkQueueEntrySchema),
  },
  claim_chunk: {
    args: z.object({
      owner: text,
      lease_seconds: z.number().int().min(10).max(3600).optional(),
      league_id: id.optional(),
      season_id: id.optional(),
      min_fixtures: count.optional(),
      execution_id: text.optional(),
      exclude_chunk_ids: z.array(text).optional(),
    }),
    result: claimedChunkSchema.nullable(),
  },
  renew_chunk_lease: {
    args: z.object({ ...leaseArgs, lease_seconds: z.number().int().min(10).max(3600).optional() }),
    result: timestamp,
  },
  register_chunk_fixtures: {
    args: z.object({
      ...leaseArgs,
      fixtures: z.array(z.looseObject({ id })),
      aggregates: z.array(tieSchema).optional(),
    }),
    result: registeredScheduleSchema,
  },
  list_chunk_work: {
    args: z.object({ chunk_id: text, after_fixture_id: id.optional(), max_rows: z.number().int().min(1).max(1000).optional() }),
    result: z.array(z.union([id, z.string().regex(/^\d+$/).transform(Number)])),
  },
  upsert_fixture_batch: {
    args: z.object({
      ...leaseArgs,
      fixtures: z.array(z.looseObject({ id, league_id: id, season_id: id })).max(50),
      checkpoint: checkpointSchema,
      execution_id: text.optional(),
      failures: z.array(fixtureFailureSchema).optional(),
    }),
    result: batchResultSchema,
  },
  /** The collector's write: fixtureResponseWriter pipes the raw bytes the API answered through pipe_fixture_response. */
  upsert_fixture_response: {
    args: z.object({
      ...leaseArgs,
      fixture_ids: z.array(id).min(1).max(50),
      checkpoint: checkpointSchema,
      response: z.looseObject({}),
      execution_id: text.optional(),
    }),
    result: fixtureResponseResultSchema,
  },
  /** The relay's first call (answer-relay.ts): pg_net fetches the batch; returns its request id. */
  request_fixture_answer: {
    args: z.object({
      ...leaseArgs,
      url: z.string().min(1).max(8000),
      headers: z.record(z.string(), z.string()),
      timeout_milliseconds: z.number().int().min(1000).max(300000),
    }),
    result: id,
  },
  /** The relay's second call: waits for pg_net's answer and writes a 200 as upsert_fixture_response does. */
  take_fixture_answer: {
    args: z.object({
      request_id: id,
      ...leaseArgs,
      fixture_ids: z.array(id).min(1).max(50),
      checkpoint: checkpointSchema,
      execution_id: text.optional(),
      wait_milliseconds: z.number().int().min(0).max(20000).optional(),
    }),
    result: fixtureAnswerSchema,
  },
  requeue_collection: {
    args: z.object({
      league_id: id.optional(),
      season_id: id.optional(),
      chunk_id: text.optional(),
      fixture_ids: z.array(id).max(10000).optional(),
      reason: text.optional(),
    }),
    result: z.object({ fixtures: count, chunks: count, chunk_ids: z.array(z.string()) }),
  },
  release_chunk: {
    args: z.object({
      ...leaseArgs,
      outcome: z.enum(["done", "pending", "failed", "not_in_plan"]),
      error: text.optional(),
      execution_id: text.optional(),
    }),
    result: z.object({
      chunk_id: text,
      status: z.string(),
      fixtures_total: count.nullable(),
      fixtures_pending: count.nullable(),
      next_attempt_at: timestamp.nullable(),
    }),
  },
  clear_chunk_checkpoints: {
    args: z.object({ league_id: id.optional(), season_id: id.optional(), reason: text.optional() }),
    result: z.object({ cleared: count, chunk_ids: z.array(z.string()), skipped_leased: count }),
  },
  load_api_rate_limit: {
    args: z.object({ entity: text }),
    result: rateLimitRow.nullable(),
  },
  save_api_rate_limit: {
    args: z.object({ entity: text, remaining: count, resets_at: timestamp }),
    result: z.null().or(z.undefined()).or(z.literal("")),
  },
  report_collection_status: {
    args: z.object({
      execution_id: text.optional(),
      duration_seconds: z.number().nonnegative().optional(),
      rows_written: count.optional(),
      succeeded: z.boolean().optional(),
      error_message: text.optional(),
      expected_interval_seconds: z.number().int().positive().optional(),
    }),
    result: jsonObject,
  },
  get_pipeline_status: {
    args: z.object({ pipeline: text.optional() }),
    result: z.array(pipelineStatusSchema),
  },
  list_chunks: {
    args: z.object({
      league_id: id.optional(),
      season_id: id.optional(),
      status: z.enum(CHUNK_STATUSES).optional(),
      max_rows: z.number().int().min(1).max(1000).optional(),
      after_chunk_id: text.optional(),
    }),
    result: z.array(chunkProgressSchema),
  },
} as const;

/** Everything the collector calls: the monitoring contract plus the collection RPCs. */
export const collectorRpcs = { ...monitoringRpcs, ...collectionRpcs };
export type CollectorRpcs = typeof collectorRpcs;
