// Typed readers for the sports data: one call per common question, validated
// by the schemas in rpcs.ts. Viewers pass their JWT as accessToken.
import { createRpcClient, type RpcClient } from "../rpc/client.ts";
import {
  type DataQualityRow,
  type FixtureDetail,
  type LeagueTableRow,
  type MatchEvent,
  type SportsRpcs,
  sportsRpcs,
  type TeamFormRow,
  type TeamPossession,
  type TopScorer,
} from "./rpcs.ts";

export interface SportsReaderOptions {
  /** SUPABASE_URL. */
  url: string;
  /** The project API key (anon key for a viewer's app, or the service role key). */
  apiKey: string;
  /** A viewer's (or operator's) JWT; without it the API key is the caller. */
  accessToken?: string;
  fetch?: typeof fetch;
}

export interface SportsReader {
  readonly rpc: RpcClient<SportsRpcs>;
  /** The fixture with participants, scores, events in order, lineups, statistics and quality; null if unknown. */
  fixtureDetail(fixtureId: number): Promise<FixtureDetail | null>;
  matchEvents(fixtureId: number): Promise<MatchEvent[]>;
  leagueTable(seasonId: number): Promise<LeagueTableRow[]>;
  topScorers(seasonId: number, maxRows?: number): Promise<TopScorer[]>;
  teamForm(teamId: number, lastN?: number): Promise<TeamFormRow[]>;
  teamPossession(seasonId: number): Promise<TeamPossession[]>;
  /** Completeness per league and season; fixtures scoring below belowScore (default 80) are counted with their reasons. */
  dataQuality(filter?: { leagueId?: number; seasonId?: number; belowScore?: number }): Promise<DataQualityRow[]>;
}

export function sportsReaderFromClient(rpc: RpcClient<SportsRpcs>): SportsReader {
  return {
    rpc,
    fixtureDetail: (fixtureId) => rpc.call("get_fixture_detail", { fixture_id: fixtureId }),
    matchEvents: (fixtureId) => rpc.call("get_match_events", { fixture_id: fixtureId }),
    leagueTable: (seasonId) => rpc.call("get_league_table", { season_id: seasonId }),
    topScorers: (seasonId, maxRows) =>
      rpc.call("get_top_scorers", { season_id: seasonId, ...(maxRows === undefined ? {} : { max_rows: maxRows }) }),
    teamForm: (teamId, lastN) => rpc.call("get_team_form", { team_id: teamId, ...(lastN === undefined ? {} : { last_n: lastN }) }),
    teamPossession: (seasonId) => rpc.call("get_team_possession", { season_id: seasonId }),
    dataQuality: (filter = {}) =>
      rpc.call("get_data_quality", {
        ...(filter.leagueId === undefined ? {} : { league_id: filter.leagueId }),
        ...(filter.seasonId === undefined ? {} : { season_id: filter.seasonId }),
        ...(filter.belowScore === undefined ? {} : { below_score: filter.belowScore }),
      }),
  };
}

export function createSportsReader(options: SportsReaderOptions): SportsReader {
  return sportsReaderFromClient(createRpcClient({ ...options, registry: sportsRpcs }));
}
