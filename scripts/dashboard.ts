// npm run dashboard -- [--execution-id ID | --logs | --metrics | --alerts | --data | --export FILE] [options]
// The seed's etl_dashboard.py over the viewer RPCs. Exit codes: 0 ok, 1 failure, 2 bad flags.
import { alertRpcs } from "../packages/core/src/alerts/index.ts";
import { describeError, isWatermarkError } from "../packages/core/src/errors/index.ts";
import { createRpcClient } from "../packages/core/src/rpc/index.ts";
import { sportsRpcs } from "../packages/core/src/sports/index.ts";
import { renderAlerts } from "./dashboard/alerts.ts";
import { parseDashboardArgs, UsageError, usage } from "./dashboard/args.ts";
import type { DashboardContext } from "./dashboard/context.ts";
import { resolveCredentials } from "./dashboard/credentials.ts";
import { renderData } from "./dashboard/data.ts";
import { runExport } from "./dashboard/export.ts";
import { dashboardReadRpcs } from "./dashboard/reads.ts";
import { makeStyle } from "./dashboard/style.ts";
import { renderExecution, renderLogs, renderMetrics, renderOverview } from "./dashboard/views.ts";

async function main(argv: string[]): Promise<number> {
  const args = parseDashboardArgs(argv);
  if (args.view === "help") {
    console.log(usage);
    return 0;
  }
  const credentials = resolveCredentials(process.env);
  if (args.verbose) console.error(`dashboard: reading ${credentials.url} with the ${credentials.source}`);
  const ctx: DashboardContext = {
    args,
    rpc: createRpcClient(credentials),
    alerts: createRpcClient({ ...credentials, registry: alertRpcs }),
    reads: createRpcClient({ ...credentials, registry: dashboardReadRpcs }),
    sports: createRpcClient({ ...credentials, registry: sportsRpcs }),
    style: makeStyle(process.stdout, process.env),
    print: (lines) => process.stdout.write(`${lines.join("\n")}\n`),
    printJson: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
  };
  switch (args.view) {
    case "overview":
      await renderOverview(ctx);
      break;
    case "execution":
      await renderExecution(ctx, args.executionId as string);
      break;
    case "logs":
      await renderLogs(ctx);
      break;
    case "metrics":
      await renderMetrics(ctx);
      break;
    case "alerts":
      await renderAlerts(ctx);
      break;
    case "data":
      await renderData(ctx);
      break;
    case "export":
      await runExport(ctx, args.exportFile as string);
      break;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`dashboard: ${err.message}`);
      process.exit(2);
    }
    const verbose = process.argv.includes("--verbose");
    let message = describeError(err);
    if (isWatermarkError(err, "insufficient_privilege"))
      message += "; the dashboard needs a viewer JWT (WATERMARK_VIEWER_JWT) or the service role key";
    else if (!isWatermarkError(err) && /fetch failed|ECONNREFUSED/.test(message))
      message += "; is the API reachable (SUPABASE_URL)? locally: `npm run stack -- up`";
    console.error(`dashboard: ${message}`);
    if (verbose && err instanceof Error && err.cause) console.error(err.cause);
    process.exit(1);
  },
);
