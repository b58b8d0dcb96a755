// What every dashboard view gets, including the alerts view
// (scripts/dashboard/alerts.ts exports `renderAlerts(ctx: DashboardContext)`).
import type { SupabaseClient } from "@supabase/supabase-js";
import type { RpcClient } from "../../packages/core/src/rpc/index.ts";
import type { DashboardArgs } from "./args.ts";
import type { Style } from "./style.ts";

export interface DashboardContext {
  args: DashboardArgs;
  /** Typed client for the monitoring RPCs. */
  rpc: RpcClient;
  /** The same credentials as plain supabase-js, for RPCs outside the monitoring registry. */
  supabase: SupabaseClient;
  style: Style;
  /** Prints lines of human output (not used with --json). */
  print(lines: string[]): void;
  /** Prints one JSON document (the --json output). */
  printJson(value: unknown): void;
}
