// CLI: `node --import tsx packages/simulator/src/main.ts [--flag value]…`
// Flags override SIMULATOR_* environment variables. Prints one JSON line with the
// URLs once listening, then serves until SIGINT/SIGTERM.

import { parseArgs } from "node:util";
import { startSimulator } from "./server.ts";

const FLAGS = {
  port: { env: "SIMULATOR_PORT", kind: "int" },
  seed: { env: "SIMULATOR_SEED", kind: "int" },
  leagues: { env: "SIMULATOR_LEAGUES", kind: "int" },
  seasons: { env: "SIMULATOR_SEASONS", kind: "int" },
  teams: { env: "SIMULATOR_TEAMS", kind: "int" },
  "time-scale": { env: "SIMULATOR_TIME_SCALE", kind: "number" },
  "hourly-limit": { env: "SIMULATOR_HOURLY_LIMIT", kind: "int" },
  "api-key": { env: "SIMULATOR_API_KEY", kind: "string" },
  now: { env: "SIMULATOR_NOW", kind: "string" },
  "latest-window": { env: "SIMULATOR_LATEST_WINDOW_SECONDS", kind: "number" },
  faults: { env: "SIMULATOR_FAULTS", kind: "json" },
} as const;

type Flag = keyof typeof FLAGS;

function usage(): string {
  const lines = Object.entries(FLAGS).map(([flag, { env, kind }]) => `  --${flag} <${kind}>  (env ${env})`);
  return `Usage: simulator [flags]\n${lines.join("\n")}\n  --faults takes JSON, e.g. '{"serverError":0.05,"slow":0.02,"slowMs":800}'`;
}

function readFlags(argv: string[]): Partial<Record<Flag, string>> {
  const { values: parsed } = parseArgs({
    args: argv,
    options: Object.fromEntries([
      ...Object.keys(FLAGS).map((f) => [f, { type: "string" as const }]),
      ["help", { type: "boolean" as const }],
    ]),
    strict: true,
  });
  const values = parsed as Record<string, string | boolean | undefined>;
  if (values.help) {
    console.log(usage());
    process.exit(0);
  }
  const result: Partial<Record<Flag, string>> = {};
  for (const flag of Object.keys(FLAGS) as Flag[]) {
    const value = (values[flag] as string | undefined) ?? process.env[FLAGS[flag].env];
    if (value !== undefined && value !== "") result[flag] = value;
  }
  return result;
}

function convert(flag: Flag, raw: string): unknown {
  const { kind, env } = FLAGS[flag];
  const where = `--${flag} (or ${env})`;
  if (kind === "string") return raw;
  if (kind === "json") {
    try {
      return JSON.parse(raw);
    } catch {
      throw new Error(`${where}: not valid JSON; e.g. '{"serverError":0.05}'`);
    }
  }
  const value = Number(raw);
  if (!Number.isFinite(value) || (kind === "int" && !Number.isInteger(value))) {
    throw new Error(`${where}: expected ${kind === "int" ? "an integer" : "a number"}, got '${raw}'`);
  }
  return value;
}

async function main(): Promise<void> {
  const flags = readFlags(process.argv.slice(2));
  const value = (flag: Flag) => (flags[flag] === undefined ? undefined : convert(flag, flags[flag] as string));
  const now = value("now");
  const sim = await startSimulator({
    port: value("port") as number | undefined,
    seed: value("seed") as number | undefined,
    leagues: value("leagues") as number | undefined,
    seasonsPerLeague: value("seasons") as number | undefined,
    teamsPerLeague: value("teams") as number | undefined,
    timeScale: value("time-scale") as number | undefined,
    hourlyLimit: value("hourly-limit") as number | undefined,
    apiKey: value("api-key") as string | undefined,
    now: typeof now === "string" && /^\d+$/.test(now) ? Number(now) : (now as string | undefined),
    latestWindowSeconds: value("latest-window") as number | undefined,
    faults: value("faults") as Record<string, unknown> | undefined,
  });
  console.log(
    JSON.stringify({
      event: "listening",
      url: sim.url,
      baseUrl: sim.baseUrl,
      apiKey: sim.apiKey,
      fixtures: sim.dataset.fixtureList.length,
      now: new Date(sim.now()).toISOString(),
    }),
  );
  const stop = () => {
    sim.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error(`simulator: ${error instanceof Error ? error.message : String(error)}`);
  console.error(usage());
  process.exit(2);
});
