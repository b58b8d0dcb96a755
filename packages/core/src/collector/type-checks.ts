// Compile-time proof (npm run typecheck) that the collection RPC schemas agree
// with the generated Database types: same argument names, same required ones,
// and scalar results of the database's type. jsonb and setof-composite results
// are typed Json/unknown by the generator: their schemas are checked at run time.
import type { z } from "zod";
import type { Database } from "../database.types.ts";
import type { Assert, Equals, RequiredKeys } from "../type-assertions.ts";
import type { collectionRpcs } from "./rpcs.ts";

type Functions = Database["public"]["Functions"];
type Rpcs = typeof collectionRpcs;

type ArgsAgree<N extends keyof Rpcs & keyof Functions> = [
  Equals<keyof z.input<Rpcs[N]["args"]>, keyof Functions[N]["Args"]>,
  Equals<RequiredKeys<z.input<Rpcs[N]["args"]>>, RequiredKeys<Functions[N]["Args"]>>,
] extends [true, true]
  ? true
  : false;

type ScalarResultAgrees<N extends keyof Rpcs & keyof Functions> =
  z.output<Rpcs[N]["result"]> extends Functions[N]["Returns"] ? true : false;

export type CollectionRpcTypeChecks = [
  Assert<ArgsAgree<"sync_collection_catalog">>,
  Assert<ArgsAgree<"claim_chunk">>,
  Assert<ArgsAgree<"renew_chunk_lease">>,
  Assert<ArgsAgree<"register_chunk_fixtures">>,
  Assert<ArgsAgree<"list_chunk_work">>,
  Assert<ArgsAgree<"upsert_fixture_batch">>,
  Assert<ArgsAgree<"upsert_fixture_response">>,
  Assert<ArgsAgree<"request_fixture_answer">>,
  Assert<ArgsAgree<"take_fixture_answer">>,
  Assert<ScalarResultAgrees<"request_fixture_answer">>,
  Assert<ArgsAgree<"requeue_collection">>,
  Assert<ArgsAgree<"list_chunk_queue">>,
  Assert<ArgsAgree<"release_chunk">>,
  Assert<ArgsAgree<"clear_chunk_checkpoints">>,
  Assert<ArgsAgree<"load_api_rate_limit">>,
  Assert<ArgsAgree<"save_api_rate_limit">>,
  Assert<ArgsAgree<"report_collection_status">>,
  Assert<ArgsAgree<"get_pipeline_status">>,
  Assert<ArgsAgree<"list_chunks">>,
  Assert<ScalarResultAgrees<"renew_chunk_lease">>,
  Assert<ScalarResultAgrees<"list_chunk_work">>,
];
