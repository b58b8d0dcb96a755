// What every dashboard view gets.
import type { alertRpcs } from "../../packages/core/src/alerts/index.ts";
import type { RpcClient } from "../../packages/core/src/rpc/index.ts";
import type { SportsRpcs } from "../../packages/core/src/sports/index.ts";
import type { DashboardArgs } from "./args.ts";
import type { dashboardReadRpcs } from "./reads.ts";
import type { Style } from "./style.ts";

export interface DashboardContext {
  args: DashboardArgs;
  /** Typed client for the monitoring RPCs. */
  rpc: RpcClient;
  /** Typed client for the alert RPCs (same credentials). */
  alerts: RpcClient<typeof alertRpcs>;
  /** The web dashboard's reads the CLI also uses (same credentials). */
  reads: RpcClient<typeof dashboardReadRpcs>;
  /** Typed client for the sports data reads (data completeness). */
  sports: RpcClient<SportsRpcs>;
  style: Style;
  /** Prints lines of human output (not used with --json). */
  print(lines: string[]): void;
  /** Prints one JSON document (the --json output). */
  printJson(value: unknown): void;
}
