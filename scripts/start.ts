// npm start: the main job. Brings up what it needs (local stack + simulator by
// default, or uses the configured Supabase project), lets pg_cron invoke the
// collect function through pg_net, follows the collection of every chunk, and
// prints a summary. Exit codes: 0 collected, 1 finished with errors or timed
// out, 2 bad configuration.
import { createRpcClient, type RpcClient } from "@watermark/core/rpc";
import { FUNCTION_SERVICE_PREFIX } from "./local/functions-server.ts";
import { stackUp } from "./local/stack-control.ts";
import { loadState, stackEnv } from "./local/state.ts";
import { parseStartArgs, resolveStartMode, StartConfigError, type StartMode, startUsage } from "./start/config.ts";
import { FollowError, followCollection, type Snapshot } from "./start/follow.ts";
import { type StartRpcs, startRpcs } from "./start/rpcs.ts";
import { type LocalSimulator, localSimulator, simulatorPort } from "./start/simulator.ts";
import { type SimulatorUsage, summarize } from "./start/summary.ts";

/** Locally pg_cron starts a run every minute, each within a minute, so runs never overlap. */
const LOCAL_COLLECT_CRON = "* * * * *";
const LOCAL_RUN_BODY = { time_budget_seconds: 50 };

const say = (line: string) => console.error(`start: ${line}`);

interface Prepared {
  rpc: RpcClient<StartRpcs>;
  simulator: SimulatorUsage | null;
  runBody: Record<string, unknown>;
}

async function prepareLocal(mode: Extract<StartMode, { kind: "local" }>): Promise<Prepared> {
  let simulator: LocalSimulator | null = null;
  let collectEnv: Record<string, string | undefined> | undefined;
  if (mode.sportmonks) {
    say(`local stack, collecting the API at ${mode.sportmonks.baseUrl ?? "the default Sportmonks v3 URL"}`);
    collectEnv = { SPORTMONKS_API_KEY: mode.sportmonks.apiKey, SPORTMONKS_BASE_URL: mode.sportmonks.baseUrl };
  } else {
    simulator = localSimulator(await simulatorPort());
    say("local stack and the built-in Sportmonks simulator (no accounts needed)");
  }
  // The collect server gets the simulator's settings or the API's (restarted if it ran with others);
  // pg_cron runs it every minute. The simulator is remembered: `stack up` brings it back; the API key
  // is not (the schedule pauses, saying so, until npm start sets it again).
  const state = await stackUp(say, {
    services: simulator ? [simulator.service] : [],
    functionEnv: collectEnv && { collect: collectEnv },
    collectSchedule: { cron: LOCAL_COLLECT_CRON, body: LOCAL_RUN_BODY },
  });
  if (!state.services[`${FUNCTION_SERVICE_PREFIX}collect`]) {
    throw new Error("the collect function is not served by the local stack: is functions/collect there? (npm run build:functions)");
  }
  if (simulator) say(`simulator at ${simulator.baseUrl}`);
  const env = stackEnv(state);
  return {
    rpc: createRpcClient({ url: env.SUPABASE_URL ?? "", apiKey: env.SUPABASE_SERVICE_ROLE_KEY ?? "", registry: startRpcs }),
    simulator: simulator && { url: simulator.url },
    runBody: LOCAL_RUN_BODY,
  };
}

async function prepareRemote(mode: Extract<StartMode, { kind: "remote" }>): Promise<Prepared> {
  say(`Supabase project at ${mode.supabaseUrl} (no local stack, no simulator)`);
  const rpc = createRpcClient({ url: mode.supabaseUrl, apiKey: mode.serviceRoleKey, registry: startRpcs });
  let schedules: Awaited<ReturnType<typeof rpc.call<"list_function_schedules">>>;
  try {
    schedules = await rpc.call("list_function_schedules", {});
  } catch (err) {
    throw new StartConfigError(
      `cannot reach Watermark's RPCs at ${mode.supabaseUrl} (${err instanceof Error ? err.message : String(err)}): check SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY, and push the migrations (npx supabase db push --remote)`,
    );
  }
  const collect = schedules.find((s) => s.function_name === "collect");
  if (collect?.paused_reason) {
    say(
      `warning: the collect schedule is paused: ${collect.paused_reason}. Fix that, then: select public.resume_function_schedule('collect');`,
    );
  } else if (!collect?.enabled || !collect.cron_active) {
    say("warning: the collect schedule is not active: select public.configure_function_schedule('collect', '*/10 * * * *');");
  } else {
    say(`pg_cron invokes collect on '${collect.cron_expression}'`);
  }
  return { rpc, simulator: null, runBody: {} };
}

function printSummary(lines: string[], errors: string[]): void {
  console.log("\nWatermark collection summary");
  for (const line of lines) console.log(`  ${line}`);
  for (const error of errors.slice(0, 10)) console.log(`    - ${error}`);
  if (errors.length > 10) console.log(`    … and ${errors.length - 10} more`);
}

async function main(argv: string[]): Promise<number> {
  const args = parseStartArgs(argv);
  if (args.help) {
    console.log(startUsage);
    return 0;
  }
  const local = loadState();
  const mode = resolveStartMode(process.env, local ? `http://127.0.0.1:${local.gatewayPort}` : undefined);
  const prepared = mode.kind === "local" ? await prepareLocal(mode) : await prepareRemote(mode);
  const { rpc } = prepared;

  // Clocks: the database stamps the rows; allow a little skew.
  const since = new Date(Date.now() - 5_000);
  // The first run now, through the same pg_net path as the schedule; pg_cron takes over from there.
  const invocationId = await rpc.call("request_function_invocation", { function_name: "collect", body: prepared.runBody });
  say(`invocation ${invocationId} queued (pg_net → collect); following every chunk…`);

  let final: Snapshot;
  let failure: string | undefined;
  try {
    final = await followCollection(rpc, { since, timeoutMs: args.timeoutMinutes * 60_000, out: process.stderr });
  } catch (err) {
    if (!(err instanceof FollowError) || !err.last) throw err;
    failure = err.message;
    final = err.last;
  }
  const { lines, errors } = await summarize(rpc, final, since, prepared.simulator);
  printSummary(lines, errors);
  if (failure) {
    say(`stopped: ${failure}`);
    return 1;
  }
  const failedRuns = final.executions.filter((e) => e.status === "FAILED").length;
  say(
    failedRuns === 0
      ? "every chunk collected; pg_cron keeps collecting on schedule (npm run dashboard to watch)"
      : `every chunk visited, ${failedRuns} run(s) failed`,
  );
  return failedRuns === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof StartConfigError) {
      console.error(`start: ${err.message}`);
      process.exit(2);
    }
    console.error(`start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
