// `npm run collect -- …` flags: the seed's three scripts in one. Parsing is
// strict (unknown flags and bad values are usage errors, exit 2) and pure, so
// it is unit-tested without a database.
import type { CollectOptions } from "../../packages/core/src/collector/options.ts";

export const EXIT = { ok: 0, failed: 1, usage: 2, partial: 3 } as const;

export const HELP = `Usage: npm run collect -- [options]

Collects Sportmonks Football v3 fixtures into Supabase, chunk by chunk
(one chunk per league × season), resuming from each chunk's checkpoint.

Options:
  --league-id ID          only this league's chunks
  --season-id ID          only this season's chunk
  --max-fixtures N        stop after fetching N fixtures
  --max-chunks N          stop after claiming N chunks
  --batch-size N          fixture ids per fixtures/multi call, 1-50 (default 50)
  --min-fixtures N        skip chunks known to hold fewer than N fixtures (default: the database setting, 0)
  --continue              resume every chunk from its checkpoint (the default; kept for the seed's scripts)
  --clear-checkpoint      clear the matching chunks' checkpoints first and start them from zero (audited)
  --dry-run               read only: show what would be collected; writes nothing, starts no execution
  --time-budget SECONDS   stop cleanly before this much time has passed (default 3600)
  --lease-seconds N       chunk lease length, 10-3600 (default 120); renewed while working
  --owner NAME            lease owner shown in the chunk list (default: collector@<host>)
  --requeue               collect the --league-id / --season-id fixtures again now, schedule included (audited)
  --requeue-fixtures IDS  collect these fixture ids again now (comma-separated; audited)
  --refresh-catalog       read the whole catalog now (every run reads new leagues and seasons anyway)
  --verbose               print every log event (JSON lines on stderr)
  --track-performance     time each fetch and upsert and record them as metrics
  --export-metrics FILE   write the run's result, API usage and timings to FILE (JSON)
  --json                  print the result as JSON on stdout (progress stays on stderr)
  -h, --help              this text

Environment:
  SPORTMONKS_API_KEY          Sportmonks API token (required)
  SPORTMONKS_BASE_URL         API base URL (default: the public v3 football URL; point it at the simulator)
  SUPABASE_URL                project URL (default: the local stack's, when it is running)
  SUPABASE_SERVICE_ROLE_KEY   service role key (default: the local stack's, when it is running)

Exit codes:
  0  the run completed
  1  the run failed (see the message and the execution's logs)
  2  bad usage or configuration; nothing was run
  3  partial: stopped with work left (time budget, --max-chunks, --max-fixtures,
     a rate limit, a signal), or some fixtures failed (retried after their backoff)

SIGTERM / SIGINT stop at the next batch: the lease is released with its
checkpoint kept and the execution is finished CANCELLED (exit 3).
`;

export interface CliArgs {
  help: boolean;
  json: boolean;
  verbose: boolean;
  exportMetrics?: string;
  options: CollectOptions;
}

export class UsageError extends Error {
  override readonly name = "UsageError";
}

const VALUE_FLAGS = {
  "--league-id": "leagueId",
  "--season-id": "seasonId",
  "--max-fixtures": "maxFixtures",
  "--max-chunks": "maxChunks",
  "--batch-size": "batchSize",
  "--min-fixtures": "minFixtures",
  "--time-budget": "timeBudgetMs",
  "--lease-seconds": "leaseSeconds",
} as const;

const RANGES: Record<keyof typeof VALUE_FLAGS, [number, number, string]> = {
  "--league-id": [1, Number.MAX_SAFE_INTEGER, "a Sportmonks league id"],
  "--season-id": [1, Number.MAX_SAFE_INTEGER, "a Sportmonks season id"],
  "--max-fixtures": [1, Number.MAX_SAFE_INTEGER, "a positive number of fixtures"],
  "--max-chunks": [1, Number.MAX_SAFE_INTEGER, "a positive number of chunks"],
  "--batch-size": [1, 50, "1-50: fixtures/multi takes at most 50 ids"],
  "--min-fixtures": [0, Number.MAX_SAFE_INTEGER, "0 or more"],
  "--time-budget": [1, 86_400, "1-86400 seconds"],
  "--lease-seconds": [10, 3_600, "10-3600 seconds"],
};

export function parseArgs(argv: readonly string[], defaultOwner: string): CliArgs {
  const args: CliArgs = { help: false, json: false, verbose: false, options: { owner: defaultOwner, timeBudgetMs: 3_600_000 } };
  const o = args.options as Record<string, unknown>;
  let continueFlag = false;
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] as string;
    const [flag, inline] =
      raw.startsWith("--") && raw.includes("=") ? [raw.slice(0, raw.indexOf("=")), raw.slice(raw.indexOf("=") + 1)] : [raw, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || (inline === undefined && v.startsWith("--"))) throw new UsageError(`${flag}: needs a value`);
      return v;
    };
    if (flag in VALUE_FLAGS) {
      const key = flag as keyof typeof VALUE_FLAGS;
      const text = value();
      const [min, max, what] = RANGES[key];
      const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
      if (!Number.isSafeInteger(n) || n < min || n > max)
        throw new UsageError(`${flag}: ${JSON.stringify(text)} is not valid; use ${what}`);
      o[VALUE_FLAGS[key]] = key === "--time-budget" ? n * 1000 : n;
      continue;
    }
    switch (flag) {
      case "-h":
      case "--help":
        args.help = true;
        break;
      case "--json":
        args.json = true;
        break;
      case "--verbose":
        args.verbose = true;
        break;
      case "--continue":
        continueFlag = true;
        break;
      case "--clear-checkpoint":
        o.clearCheckpoint = true;
        break;
      case "--dry-run":
        o.dryRun = true;
        break;
      case "--requeue":
        o.requeue = true;
        break;
      case "--requeue-fixtures": {
        const text = value();
        const ids = text.split(",").map((part) => (/^\d+$/.test(part.trim()) ? Number(part.trim()) : Number.NaN));
        if (ids.length === 0 || ids.some((n) => !Number.isSafeInteger(n) || n < 1)) {
          throw new UsageError(
            `--requeue-fixtures: ${JSON.stringify(text)} is not valid; use fixture ids separated by commas, e.g. 19135043,19135044`,
          );
        }
        o.requeueFixtureIds = ids;
        break;
      }
      case "--refresh-catalog":
        o.refreshCatalog = true;
        break;
      case "--track-performance":
        o.trackPerformance = true;
        break;
      case "--export-metrics":
        args.exportMetrics = value();
        break;
      case "--owner":
        o.owner = value();
        break;
      default:
        throw new UsageError(`unknown option ${raw}; see npm run collect -- --help`);
    }
  }
  if (continueFlag && o.clearCheckpoint) throw new UsageError("--continue and --clear-checkpoint contradict each other; pick one");
  if (o.dryRun && o.clearCheckpoint) throw new UsageError("--dry-run writes nothing, so it cannot --clear-checkpoint; drop one of them");
  if (o.dryRun && (o.requeue || o.requeueFixtureIds))
    throw new UsageError("--dry-run writes nothing, so it cannot requeue; drop one of them");
  if (o.requeue && o.leagueId === undefined && o.seasonId === undefined) {
    throw new UsageError("--requeue: say what to collect again with --league-id or --season-id (or use --requeue-fixtures IDS)");
  }
  return args;
}
