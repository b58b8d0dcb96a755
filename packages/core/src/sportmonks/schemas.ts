// zod schemas for Sportmonks Football v3 responses. Every response the client
// reads is parsed with these; anything that does not fit is a
// SportmonksMalformedResponse, never a half-typed object.
//
// Entities are loose objects: the fields the collector relies on are typed,
// everything else the API sends (other includes, new fields) is kept as JSON.
import { z } from "zod";

/** The `rate_limit` object every v3 response carries (per entity, per hour). */
export const rateLimitSchema = z.object({
  resets_in_seconds: z.number().nonnegative(),
  remaining: z.number().int(),
  requested_entity: z.string().min(1),
});
export type RateLimit = z.infer<typeof rateLimitSchema>;

/**
 * v3 pagination. `next_page` is the classic page link; newer endpoints may
 * send `next_cursor` instead, so both are accepted.
 */
export const paginationSchema = z.looseObject({
  count: z.number().int().nonnegative(),
  per_page: z.number().int().positive(),
  current_page: z.number().int().positive(),
  next_page: z.string().nullish(),
  next_cursor: z.string().nullish(),
  has_more: z.boolean(),
});
export type Pagination = z.infer<typeof paginationSchema>;

/**
 * The envelope around every response. `data` is absent on a miss (HTTP 200 with
 * a `message`) and on error bodies, which carry `message` and sometimes an
 * in-body `code` (5001, 5002, 5005, ...).
 */
export const envelopeSchema = z.looseObject({
  data: z.unknown().optional(),
  pagination: paginationSchema.optional(),
  subscription: z.unknown().optional(),
  rate_limit: rateLimitSchema.optional(),
  timezone: z.string().optional(),
  message: z.string().optional(),
  code: z.number().int().optional(),
});
export type Envelope = z.infer<typeof envelopeSchema>;

const id = z.number().int().positive();
const nullableId = id.nullish();

/** Includes stay raw JSON: the collector stores them as jsonb. */
const includeValue = z.unknown().optional();

export const leagueSchema = z.looseObject({
  id,
  sport_id: z.number().int().optional(),
  country_id: z.number().int().nullish(),
  name: z.string(),
  active: z.boolean().optional(),
  short_code: z.string().nullish(),
  image_path: z.string().nullish(),
  type: z.string().nullish(),
  sub_type: z.string().nullish(),
  last_played_at: z.string().nullish(),
  category: z.number().int().nullish(),
});
export type League = z.infer<typeof leagueSchema>;

export const seasonSchema = z.looseObject({
  id,
  sport_id: z.number().int().optional(),
  league_id: id,
  name: z.string(),
  finished: z.boolean().optional(),
  pending: z.boolean().optional(),
  is_current: z.boolean().optional(),
  starting_at: z.string().nullish(),
  ending_at: z.string().nullish(),
});
export type Season = z.infer<typeof seasonSchema>;

/**
 * The includes the collector asks for on fixtures. `lineups.details` (each
 * player's match statistics) is one nested include of the three fixtures/multi
 * allows; it makes a played fixture's answer about 50 KB.
 */
export const FIXTURE_INCLUDES = ["events", "lineups", "lineups.details", "statistics", "participants", "scores"] as const;
export type FixtureInclude = (typeof FIXTURE_INCLUDES)[number];

export const fixtureSchema = z.looseObject({
  id,
  sport_id: z.number().int().optional(),
  league_id: id,
  season_id: id,
  stage_id: nullableId,
  group_id: nullableId,
  aggregate_id: nullableId,
  round_id: nullableId,
  state_id: z.number().int(),
  venue_id: nullableId,
  name: z.string().nullable(),
  starting_at: z.string().nullable(),
  result_info: z.string().nullable(),
  leg: z.string().nullish(),
  details: z.string().nullish(),
  length: z.number().int().nullish(),
  placeholder: z.boolean().nullish(),
  has_odds: z.boolean().nullish(),
  starting_at_timestamp: z.number().int().nullish(),
  last_processed_at: z.string().nullish(),
  events: includeValue,
  lineups: includeValue,
  statistics: includeValue,
  participants: includeValue,
  scores: includeValue,
});
export type Fixture = z.infer<typeof fixtureSchema>;

/** Fixtures nested in a schedule are lighter: only the id is guaranteed. */
export const scheduleFixtureSchema = fixtureSchema.partial().required({ id: true });
export type ScheduleFixture = z.infer<typeof scheduleFixtureSchema>;

export const scheduleRoundSchema = z.looseObject({
  id,
  stage_id: nullableId,
  season_id: nullableId,
  league_id: nullableId,
  name: z.string().nullish(),
  finished: z.boolean().nullish(),
  is_current: z.boolean().nullish(),
  starting_at: z.string().nullish(),
  ending_at: z.string().nullish(),
  fixtures: z.array(scheduleFixtureSchema).default([]),
});
export type ScheduleRound = z.infer<typeof scheduleRoundSchema>;

/** A two-legged tie of a knockout stage: its legs sit in `fixtures`, their ids in `fixture_ids`. */
export const scheduleAggregateSchema = z.looseObject({
  id,
  league_id: nullableId,
  season_id: nullableId,
  stage_id: nullableId,
  name: z.string().nullish(),
  fixture_ids: z.array(id).default([]),
  /** Aggregate score, e.g. "2-5". */
  result: z.string().nullish(),
  /** How the tie ended, e.g. "After Extra Time". */
  detail: z.string().nullish(),
  winner_participant_id: nullableId,
  fixtures: z.array(scheduleFixtureSchema).default([]),
});
export type ScheduleAggregate = z.infer<typeof scheduleAggregateSchema>;

/**
 * A stage of `schedules/seasons/{id}` (and `schedules/teams/{id}`). Fixtures sit
 * in one of three places by layout: `rounds[].fixtures` (league and group
 * stages), `fixtures` (single-leg knockout rounds) or `aggregates[].fixtures`
 * (two-legged ties).
 */
export const scheduleStageSchema = z.looseObject({
  id,
  season_id: nullableId,
  league_id: nullableId,
  name: z.string().nullish(),
  type_id: z.number().int().nullish(),
  sort_order: z.number().int().nullish(),
  finished: z.boolean().nullish(),
  is_current: z.boolean().nullish(),
  starting_at: z.string().nullish(),
  ending_at: z.string().nullish(),
  rounds: z.array(scheduleRoundSchema).default([]),
  fixtures: z.array(scheduleFixtureSchema).default([]),
  aggregates: z.array(scheduleAggregateSchema).default([]),
});
export type ScheduleStage = z.infer<typeof scheduleStageSchema>;
