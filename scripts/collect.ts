// npm run collect -- [options]: one monitored collection run from the command
// line (the seed's run_incremental_collection / run_chunk_processing /
// run_monitored_chunk_processing in one). See --help for flags and exit codes.
import { writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { createCollectorDeps } from "../packages/core/src/collector/deps.ts";
import { collect } from "../packages/core/src/collector/engine.ts";
import type { CollectResult } from "../packages/core/src/collector/result.ts";
import { describeError } from "../packages/core/src/errors/index.ts";
import { abortOnSignals } from "../packages/core/src/monitoring/signals.ts";
import { EXIT, HELP, parseArgs, UsageError } from "./collect/args.ts";
import { ConfigError, readCollectConfig } from "./collect/config.ts";
import { progressWriter } from "./collect/progress.ts";

async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  let config: ReturnType<typeof readCollectConfig>;
  try {
    args = parseArgs(argv, `collector@${hostname()}`);
    if (args.help) {
      process.stdout.write(HELP);
      return EXIT.ok;
    }
    config = readCollectConfig(process.env);
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      process.stderr.write(`collect: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  }

  const progress = progressWriter(process.stderr);
  const stop = abortOnSignals(process);
  const deps = createCollectorDeps({
    supabaseUrl: config.supabaseUrl,
    serviceRoleKey: config.serviceRoleKey,
    sportmonksApiKey: config.sportmonksApiKey,
    sportmonksBaseUrl: config.sportmonksBaseUrl,
    trigger: "manual",
    console: { level: args.verbose ? "DEBUG" : "WARNING", write: (line) => process.stderr.write(`${line}\n`) },
    signal: stop.signal,
    onProgress: (p) => progress.update(p),
  });

  // Preflight: the database answers and is migrated, before any execution row or API call.
  try {
    await deps.rpc.call("list_chunks", { max_rows: 1 });
  } catch (err) {
    process.stderr.write(
      `collect: ❌ cannot use Supabase at ${config.supabaseUrl} (${config.supabaseSource}): ${describeError(err)}\n` +
        "   Fix: check SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY, and that the migrations are applied (locally: npm run stack -- up)\n",
    );
    stop.dispose();
    return EXIT.usage;
  }

  let result: CollectResult;
  try {
    result = await collect(deps, args.options);
  } catch (err) {
    progress.end();
    process.stderr.write(`collect: ❌ ${describeError(err)}\n`);
    return EXIT.failed;
  } finally {
    stop.dispose();
  }
  progress.end();

  if (args.exportMetrics) {
    writeFileSync(args.exportMetrics, `${JSON.stringify({ exported_at: new Date().toISOString(), ...result }, null, 2)}\n`);
  }
  if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else process.stdout.write(humanSummary(result));
  return exitCode(result);
}

/**
 * One rule for the exit code, and the headline says the same: 0 only when the
 * run completed with nothing left and nothing failed; 3 when work is left
 * (time budget, max chunks or fixtures, rate limit, cancel) or some fixtures
 * or chunks failed; 1 when the run failed.
 */
function exitCode(result: CollectResult): number {
  if (result.status === "FAILED") return EXIT.failed;
  if (result.workLeft) return EXIT.partial;
  if (result.counters.fixturesFailed > 0 || result.counters.chunksFailed > 0 || result.counters.chunksLeaseLost > 0) return EXIT.partial;
  return EXIT.ok;
}

const STOP_WORDS: Record<CollectResult["stopReason"], string> = {
  no_work: "no work left",
  max_chunks: "max chunks",
  max_fixtures: "max fixtures",
  time_budget: "time budget",
  rate_limited: "rate limited",
  cpu_budget: "CPU budget",
  memory_budget: "memory budget",
  cancelled: "cancelled",
  failed: "failed",
};

/** The first line: ✔ only for exit 0, ■ for exit 3, ✘ for exit 1, then why it stopped in the run's own words. */
function headline(r: CollectResult): string {
  const noun = r.dryRun ? "dry run" : "collection";
  const where = `${(r.durationMs / 1000).toFixed(1)} s, ${r.executionId ? `execution ${r.executionId}` : "nothing written"}`;
  const code = exitCode(r);
  if (code === EXIT.failed) return `✘ ${noun} failed (${where}): ${r.stopMessage}`;
  if (code === EXIT.ok) return `✔ ${noun} completed (${where}): ${r.stopMessage}`;
  const what = r.workLeft
    ? `${r.status === "CANCELLED" ? "cancelled" : `stopped: ${STOP_WORDS[r.stopReason]}`}, work left for the next run`
    : "completed with failures: they are retried after their backoff";
  return `■ ${noun} ${what} (${where}): ${r.stopMessage}`;
}

function humanSummary(r: CollectResult): string {
  const c = r.counters;
  const a = r.api;
  const lines = [headline(r)];
  if (r.dryRun) {
    lines.push(`  would collect ${c.fixturesRequested} fixtures in ${c.chunksClaimed} chunks:`);
    for (const p of r.plan ?? []) {
      lines.push(`    ${p.chunkId}: ${p.pendingFixtures} needing work + ${p.newFixtures} new → ${p.multiCalls} fixtures/multi calls`);
    }
  } else {
    lines.push(
      `  chunks:   ${c.chunksClaimed} claimed, ${c.chunksCompleted} completed, ${c.chunksLeftPending} left pending, ${c.chunksFailed} failed, ${c.chunksLeaseLost} lease lost`,
      `  fixtures: ${c.fixturesRequested} fetched → ${c.fixturesInserted} new, ${c.fixturesUpdated} updated, ${c.fixturesUnchanged} unchanged, ${c.fixturesFailed} failed; ${c.rowsWritten} rows written; ${c.fixturesDiscovered} discovered; ${c.chunksNotInPlan} chunks not in the plan`,
    );
  }
  const endpoints = Object.entries(a.byEndpoint)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  const remaining = Object.entries(a.remainingByEntity)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  lines.push(
    `  API:      ${a.calls} calls (${endpoints || "none"}), ${a.retries} retries, ${a.rateLimited} × 429, waited ${(a.waitedMs / 1000).toFixed(1)} s; remaining: ${remaining || "n/a"}`,
  );
  for (const e of r.errors.slice(0, 10)) lines.push(`  error: ${e}`);
  if (r.errors.length > 10) lines.push(`  … ${r.errors.length - 10} more errors in the execution's logs`);
  return `${lines.join("\n")}\n`;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`collect: ${describeError(err)}\n`);
    process.exit(EXIT.failed);
  },
);
