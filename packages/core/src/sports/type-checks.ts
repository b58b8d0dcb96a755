// Compile-time proof (npm run typecheck) that the sports RPC schemas agree with
// the generated Database types: same argument names, same required ones.
// Setof-composite and jsonb results are typed unknown/Json by the generator:
// their schemas are checked at run time.
import type { z } from "zod";
import type { Database } from "../database.types.ts";
import type { Assert, Equals, RequiredKeys } from "../type-assertions.ts";
import type { sportsRpcs } from "./rpcs.ts";

type Functions = Database["public"]["Functions"];
type Rpcs = typeof sportsRpcs;

type ArgsAgree<N extends keyof Rpcs & keyof Functions> = [
  Equals<keyof z.input<Rpcs[N]["args"]>, keyof Functions[N]["Args"]>,
  Equals<RequiredKeys<z.input<Rpcs[N]["args"]>>, RequiredKeys<Functions[N]["Args"]>>,
] extends [true, true]
  ? true
  : false;

export type SportsRpcTypeChecks = [
  Assert<ArgsAgree<"get_fixture_detail">>,
  Assert<ArgsAgree<"get_match_events">>,
  Assert<ArgsAgree<"get_league_table">>,
  Assert<ArgsAgree<"get_top_scorers">>,
  Assert<ArgsAgree<"get_team_form">>,
  Assert<ArgsAgree<"get_team_possession">>,
  Assert<ArgsAgree<"get_data_quality">>,
  Assert<ArgsAgree<"rebuild_sports_data">>,
];
