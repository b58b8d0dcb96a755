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
  cups: { env: "SIMULATOR_CUPS", kind: "int" },
  "leagues-outside-plan": { env: "SIMULATOR_LEAGUES_OUTSIDE_PLAN", kind: "int" },
  "time-scale": { env: "SIMULATOR_TIME_SCALE", kind: "number" },
  "real-clock-stamps": { env: "SIMULATOR_REAL_CLOCK_STAMPS", kind: "boolean" },
  "hourly-limit": { env: "SIMULATOR_HOURLY_LIMIT", kind: "int" },
  "api-key": { env: "SIMULATOR_API_KEY", kind: "string" },
  now: { env: "SIMULATOR_NOW", kind: "instant" },
  "next-season-at": { env: "SIMULATOR_NEXT_SEASON_AT", kind: "instant" },
  "new-league-at": { env: "SIMULATOR_NEW_LEAGUE_AT", kind: "instant" },
  "postponement-rate": { env: "SIMULATOR_POSTPONEMENT_RATE", kind: "number" },
  "cancellation-rate": { env: "SIMULATOR_CANCELLATION_RATE", kind: "number" },
  "abandonment-rate": { env: "SIMULATOR_ABANDONMENT_RATE", kind: "number" },
  "correction-rate": { env: "SIMULATOR_CORRECTION_RATE", kind: "number" },
  "correction-delay-minutes": { env: "SIMULATOR_CORRECTION_DELAY_MINUTES", kind: "range" },
  "latest-window": { env: "SIMULATOR_LATEST_WINDOW_SECONDS", kind: "number" },
  faults: { env: "SIMULATOR_FAULTS", kind: "json" },
} as const;

type Flag = keyof typeof FLAGS;

function usage(): string {
  const lines = Object.entries(FLAGS).map(([flag, { env, kind }]) => `  --${flag} <${kind}>  (env ${env})`);
  return [
    "Usage: simulator [flags]",
    ...lines,
    "  <boolean> is true or false (also 1 or 0)",
    "  <instant> is ISO 8601 (2025-03-15T15:00:00Z) or epoch ms; <range> is min,max (e.g. 30,1200)",
    `  --faults takes JSON, e.g. '{"serverError":0.05,"slow":0.02,"slowMs":800}'`,
  ].join("\n");
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
  if (kind === "boolean") {
    if (raw === "true" || raw === "1") return true;
    if (raw === "false" || raw === "0") return false;
    throw new Error(`${where}: expected true or false, got '${raw}'`);
  }
  if (kind === "instant") return /^\d+$/.test(raw) ? Number(raw) : raw;
  if (kind === "range") {
    const [min, max, ...rest] = raw.split(",").map((part) => Number(part.trim()));
    if (min === undefined || max === undefined || rest.length > 0 || !Number.isFinite(min) || !Number.isFinite(max)) {
      throw new Error(`${where}: expected min,max in minutes, e.g. '30,1200', got '${raw}'`);
    }
    return { min, max };
  }
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
  const sim = await startSimulator({
    port: value("port") as number | undefined,
    seed: value("seed") as number | undefined,
    leagues: value("leagues") as number | undefined,
    seasonsPerLeague: value("seasons") as number | undefined,
    teamsPerLeague: value("teams") as number | undefined,
    cups: value("cups") as number | undefined,
    leaguesOutsidePlan: value("leagues-outside-plan") as number | undefined,
    timeScale: value("time-scale") as number | undefined,
    realClockStamps: value("real-clock-stamps") as boolean | undefined,
    hourlyLimit: value("hourly-limit") as number | undefined,
    apiKey: value("api-key") as string | undefined,
    now: value("now") as string | number | undefined,
    nextSeasonAt: value("next-season-at") as string | number | undefined,
    newLeagueAt: value("new-league-at") as string | number | undefined,
    postponementRate: value("postponement-rate") as number | undefined,
    cancellationRate: value("cancellation-rate") as number | undefined,
    abandonmentRate: value("abandonment-rate") as number | undefined,
    correctionRate: value("correction-rate") as number | undefined,
    correctionDelayMinutes: value("correction-delay-minutes") as { min: number; max: number } | undefined,
    latestWindowSeconds: value("latest-window") as number | undefined,
    faults: value("faults") as Record<string, unknown> | undefined,
  });
  const truth = sim.truth();
  console.log(
    JSON.stringify({
      event: "listening",
      url: sim.url,
      baseUrl: sim.baseUrl,
      apiKey: sim.apiKey,
      fixtures: truth.fixtures.length,
      now: truth.now,
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
