// npm run rebuild:sports -- [--season-id ID] [--json]: re-derives the sports
// model (teams, players, participants, scores, events, lineups, statistics)
// from the stored API payload, one season per call so each call stays small.
// Credentials: SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY (or the running local stack).
import { z } from "zod";
import { collectionRpcs } from "../packages/core/src/collector/rpcs.ts";
import { httpUrl, readEnv, secret } from "../packages/core/src/config/index.ts";
import { describeError } from "../packages/core/src/errors/index.ts";
import { createRpcClient } from "../packages/core/src/rpc/index.ts";
import { sportsRpcs } from "../packages/core/src/sports/index.ts";
import { resolveSupabaseEnv } from "./local/stack-control.ts";

const usage = `usage: npm run rebuild:sports -- [--season-id ID] [--json]
  Rebuilds the sports data model from the stored fixture payloads: every season, or one.
  --season-id ID   only this season
  --json           print the counts as JSON
`;

const envSchema = z.object({ SUPABASE_URL: httpUrl, SUPABASE_SERVICE_ROLE_KEY: secret("service role key") });
const registry = { rebuild_sports_data: sportsRpcs.rebuild_sports_data, list_chunks: collectionRpcs.list_chunks };

class UsageError extends Error {}

function parseArgs(argv: string[]): { seasonId?: number; json: boolean; help: boolean } {
  const out: { seasonId?: number; json: boolean; help: boolean } = { json: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") out.help = true;
    else if (arg === "--json") out.json = true;
    else if (arg === "--season-id") {
      const value = argv[++i];
      if (!value || !/^[1-9]\d*$/.test(value)) throw new UsageError(`--season-id: must be a positive integer, got ${value ?? "nothing"}`);
      out.seasonId = Number(value);
    } else throw new UsageError(`unknown argument ${arg}: see --help`);
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`rebuild:sports: ${(err as Error).message}\n${usage}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(usage);
    return 0;
  }
  const env = readEnv(envSchema, resolveSupabaseEnv(process.env).env, {
    fix: "set SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY, or unset all Supabase settings to use the local stack (npm run stack -- up)",
  });
  const rpc = createRpcClient({ url: env.SUPABASE_URL, apiKey: env.SUPABASE_SERVICE_ROLE_KEY, registry });

  const seasons: number[] = [];
  if (args.seasonId !== undefined) seasons.push(args.seasonId);
  else {
    // Every season with a chunk, paged by chunk id.
    let after: string | undefined;
    for (;;) {
      const page = await rpc.call("list_chunks", { max_rows: 1000, ...(after ? { after_chunk_id: after } : {}) });
      for (const chunk of page) seasons.push(chunk.season_id);
      if (page.length < 1000) break;
      after = page[page.length - 1]?.chunk_id;
    }
  }

  const perSeason: { season_id: number; counts: Record<string, unknown> }[] = [];
  for (const seasonId of seasons) {
    perSeason.push({ season_id: seasonId, counts: await rpc.call("rebuild_sports_data", { season_id: seasonId }) });
  }
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ seasons: perSeason }, null, 2)}\n`);
  } else {
    for (const { season_id, counts } of perSeason) {
      const parts = Object.entries(counts).map(([k, v]) => `${k} ${String(v)}`);
      process.stdout.write(`season ${season_id}: ${parts.join(", ")}\n`);
    }
    process.stdout.write(`rebuilt ${perSeason.length} season(s)\n`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`rebuild:sports: ${describeError(err)}\n`);
    process.exit(1);
  },
);
