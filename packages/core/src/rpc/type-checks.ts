// Compile-time proof that the zod schemas agree with the generated Database
// types (run by `npm run typecheck`): the same argument names, the same
// required ones, argument values the database accepts, and result rows with
// the database's columns. A migration that changes an RPC breaks this file
// until the schemas follow (after `npm run gen:types`).
import type { z } from "zod";
import type { Database } from "../database.types.ts";
import type { Assert, Equals, RequiredKeys } from "../type-assertions.ts";
import type { monitoringRpcs } from "./schemas.ts";

type Functions = Database["public"]["Functions"];
type Rpcs = typeof monitoringRpcs;

type ArgsAgree<N extends keyof Rpcs & keyof Functions> = [
  Equals<keyof z.input<Rpcs[N]["args"]>, keyof Functions[N]["Args"]>,
  Equals<RequiredKeys<z.input<Rpcs[N]["args"]>>, RequiredKeys<Functions[N]["Args"]>>,
  z.output<Rpcs[N]["args"]> extends Functions[N]["Args"] ? true : false,
] extends [true, true, true]
  ? true
  : false;

/** Scalar results: what we return is what the database type says. */
type ScalarResultAgrees<N extends keyof Rpcs & keyof Functions> =
  z.output<Rpcs[N]["result"]> extends Functions[N]["Returns"] ? true : false;

/** Set-returning RPCs: same columns, and each parsed value fits the database column. */
type RowsAgree<N extends keyof Rpcs & keyof Functions> =
  z.output<Rpcs[N]["result"]> extends (infer Row)[]
    ? Functions[N]["Returns"] extends (infer DbRow)[]
      ? [Equals<keyof Row, keyof DbRow>, Row extends DbRow ? true : false] extends [true, true]
        ? true
        : false
      : false
    : false;

export type MonitoringRpcTypeChecks = [
  Assert<ArgsAgree<"start_etl_execution">>,
  Assert<ArgsAgree<"heartbeat_etl_execution">>,
  Assert<ArgsAgree<"finish_etl_execution">>,
  Assert<ArgsAgree<"log_etl_event">>,
  Assert<ArgsAgree<"log_etl_events">>,
  Assert<ArgsAgree<"record_etl_metric">>,
  Assert<ArgsAgree<"record_etl_metrics">>,
  Assert<ArgsAgree<"get_etl_execution_summary">>,
  Assert<ArgsAgree<"get_etl_health_status">>,
  Assert<ArgsAgree<"list_etl_executions">>,
  Assert<ArgsAgree<"get_etl_logs">>,
  Assert<ArgsAgree<"get_etl_metric_summary">>,
  Assert<ScalarResultAgrees<"start_etl_execution">>,
  Assert<ScalarResultAgrees<"heartbeat_etl_execution">>,
  Assert<ScalarResultAgrees<"log_etl_event">>,
  Assert<ScalarResultAgrees<"log_etl_events">>,
  Assert<ScalarResultAgrees<"record_etl_metric">>,
  Assert<ScalarResultAgrees<"record_etl_metrics">>,
  // jsonb results are typed Json by the generator: their schemas are checked at run time.
  Assert<RowsAgree<"list_etl_executions">>,
  Assert<RowsAgree<"get_etl_logs">>,
  Assert<RowsAgree<"get_etl_metric_summary">>,
];

/** Every monitoring RPC in the registry exists in the database. */
export type EveryRpcExists = Assert<keyof Rpcs extends keyof Functions ? true : false>;
