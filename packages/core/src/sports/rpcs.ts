// zod schemas for the sports data read RPCs (migration 0008): arguments as the
// database names them, results as PostgREST returns them. The database stays
// authoritative; these fail fast with the same field names.
import { z } from "zod";
import { count, jsonObject, numeric } from "../rpc/schemas.ts";

const id = z.number().int().positive();
const timestamp = z.string().min(1);
/** bigint ids arrive as JSON numbers (strings only when beyond 2^53). */
const bigId = z.union([id, z.string().regex(/^\d+$/).transform(Number)]);

/** Why a fixture's quality score is below 100 (watermark.fixture_quality). */
export const QUALITY_REASONS = [
  "not_collected",
  "missing_participants",
  "missing_scores",
  "missing_lineups",
  "no_statistics",
  "events_without_players",
  "score_events_disagree",
] as const;
export const qualityReason = z.enum(QUALITY_REASONS);
export type QualityReason = z.output<typeof qualityReason>;

export const fixtureQualitySchema = z.object({ score: z.number().int().min(0).max(100), reasons: z.array(qualityReason) });
export type FixtureQuality = z.output<typeof fixtureQualitySchema>;

export const matchEventSchema = z.object({
  ordinal: z.number().int().positive(),
  event_id: bigId,
  type_id: bigId.nullable(),
  type: z.string().nullable(),
  minute: z.number().int().nullable(),
  extra_minute: z.number().int().nullable(),
  team_id: bigId.nullable(),
  team_name: z.string().nullable(),
  player_id: bigId.nullable(),
  player_name: z.string().nullable(),
  related_player_id: bigId.nullable(),
  related_player_name: z.string().nullable(),
  result: z.string().nullable(),
  info: z.string().nullable(),
});
export type MatchEvent = z.output<typeof matchEventSchema>;

const location = z.enum(["home", "away"]).nullable();

export const fixtureDetailSchema = z.object({
  fixture: z.object({
    id: bigId,
    league_id: bigId,
    season_id: bigId,
    stage_id: bigId.nullable(),
    round_id: bigId.nullable(),
    aggregate_id: bigId.nullable(),
    leg: z.string().nullable(),
    name: z.string().nullable(),
    starting_at: timestamp.nullable(),
    state_id: z.number().int().nullable(),
    result_info: z.string().nullable(),
    is_final: z.boolean(),
    collected_at: timestamp.nullable(),
  }),
  participants: z.array(
    z.object({
      team_id: bigId,
      name: z.string().nullable(),
      short_code: z.string().nullable(),
      location,
      winner: z.boolean().nullable(),
      position: z.number().int().nullable(),
    }),
  ),
  scores: z.array(
    z.object({
      team_id: bigId,
      type_id: bigId,
      description: z.string().nullable(),
      goals: z.number().int().nullable(),
      location: z.string().nullable(),
    }),
  ),
  events: z.array(matchEventSchema),
  lineups: z.array(
    z.object({
      id: bigId,
      team_id: bigId.nullable(),
      player_id: bigId.nullable(),
      player_name: z.string().nullable(),
      starter: z.boolean().nullable(),
      position_id: bigId.nullable(),
      formation_field: z.string().nullable(),
      formation_position: z.number().int().nullable(),
      jersey_number: z.number().int().nullable(),
    }),
  ),
  statistics: z.array(
    z.object({
      team_id: bigId,
      type_id: bigId,
      type: z.string().nullable(),
      value: numeric.nullable(),
      location: z.string().nullable(),
    }),
  ),
  quality: fixtureQualitySchema,
});
export type FixtureDetail = z.output<typeof fixtureDetailSchema>;

export const leagueTableRowSchema = z.object({
  position: z.number().int().positive(),
  team_id: bigId,
  team_name: z.string().nullable(),
  played: count,
  won: count,
  drawn: count,
  lost: count,
  goals_for: count,
  goals_against: count,
  goal_difference: z.number().int(),
  points: count,
});
export type LeagueTableRow = z.output<typeof leagueTableRowSchema>;

export const topScorerSchema = z.object({
  player_id: bigId,
  player_name: z.string().nullable(),
  team_id: bigId.nullable(),
  team_name: z.string().nullable(),
  goals: count,
  penalties: count,
});
export type TopScorer = z.output<typeof topScorerSchema>;

export const teamFormRowSchema = z.object({
  fixture_id: bigId,
  starting_at: timestamp.nullable(),
  season_id: bigId,
  location,
  opponent_id: bigId.nullable(),
  opponent_name: z.string().nullable(),
  goals_for: count,
  goals_against: count,
  result: z.enum(["W", "D", "L"]),
});
export type TeamFormRow = z.output<typeof teamFormRowSchema>;

export const teamPossessionSchema = z.object({
  team_id: bigId,
  team_name: z.string().nullable(),
  fixtures: count,
  avg_possession: numeric,
});
export type TeamPossession = z.output<typeof teamPossessionSchema>;

const percent = numeric.nullable();

/** Per league and season: how complete the collected data is (watermark.data_completeness). */
export const dataQualityRowSchema = z.object({
  league_id: bigId,
  league_name: z.string().nullable(),
  season_id: bigId,
  season_name: z.string().nullable(),
  /** Known: registered from the schedule or collected. */
  fixtures: count,
  collected: count,
  collected_percent: percent,
  /** Finished with a result, collected or not. */
  finished: count,
  /** Shares of the collected finished fixtures. */
  with_lineups_percent: percent,
  with_statistics_percent: percent,
  events_with_players_percent: percent,
  scores_agree_percent: percent,
  /** Finished fixtures collected with every check passed: what the data_completeness alert rule watches. */
  complete_percent: percent,
  avg_quality_score: numeric.nullable(),
  min_quality_score: z.number().int().nullable(),
  /** Collected fixtures scoring below the threshold (below_score, default 80), and their reasons, commonest first. */
  below_threshold: count,
  below_threshold_reasons: z.array(z.object({ reason: qualityReason, fixtures: count })),
});
export type DataQualityRow = z.output<typeof dataQualityRowSchema>;

const maxRows = z.number().int().min(1).max(1000);

/** What viewers read; rebuild_sports_data is the service role's. */
export const sportsRpcs = {
  get_fixture_detail: {
    args: z.object({ fixture_id: id }),
    result: fixtureDetailSchema.nullable(),
  },
  get_match_events: {
    args: z.object({ fixture_id: id }),
    result: z.array(matchEventSchema),
  },
  get_league_table: {
    args: z.object({ season_id: id }),
    result: z.array(leagueTableRowSchema),
  },
  get_top_scorers: {
    args: z.object({ season_id: id, max_rows: maxRows.optional() }),
    result: z.array(topScorerSchema),
  },
  get_team_form: {
    args: z.object({ team_id: id, last_n: z.number().int().min(1).max(100).optional() }),
    result: z.array(teamFormRowSchema),
  },
  get_team_possession: {
    args: z.object({ season_id: id }),
    result: z.array(teamPossessionSchema),
  },
  get_data_quality: {
    args: z.object({ league_id: id.optional(), season_id: id.optional(), below_score: z.number().int().min(1).max(100).optional() }),
    result: z.array(dataQualityRowSchema),
  },
  rebuild_sports_data: {
    args: z.object({ season_id: id.optional() }),
    result: jsonObject,
  },
} as const;
export type SportsRpcs = typeof sportsRpcs;
