// npm run bench [-- monitoring | collect | dashboard | sports | backfill | scale] [--quick] [--workers N]: prints
// the benchmarks' figures. Each runs on its own clone of the migrated template, like a test file, except
// backfill: it needs pg_cron, so it runs in the stack's main database (and empties its collection).
import { parseArgs } from "node:util";
import { createTestStack } from "../tests/support/test-stack.ts";
import { benchBackfill } from "./bench/backfill.ts";
import { benchCollect } from "./bench/collect.ts";
import { benchDashboard } from "./bench/dashboard.ts";
import { benchMonitoring } from "./bench/monitoring.ts";
import { benchScale } from "./bench/scale.ts";
import { benchSports } from "./bench/sports.ts";
import { stackUp } from "./local/stack-control.ts";

const usage = "usage: npm run bench [-- monitoring | collect | dashboard | sports | backfill | scale] [--quick] [--workers N]";

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { quick: { type: "boolean" }, workers: { type: "string" }, help: { type: "boolean" } },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const which = positionals.length ? positionals : ["monitoring", "collect", "dashboard", "sports"];
  // backfill and scale take minutes by design (wall time ÷ the rate limit; building 10× data): only on request.
  const unknown = which.find((w) => !["monitoring", "collect", "dashboard", "sports", "backfill", "scale"].includes(w));
  if (unknown) throw new Error(`unknown benchmark ${unknown}: ${usage}`);
  await stackUp((line) => console.error(`stack: ${line}`));
  let allMet = true;
  for (const name of which) {
    if (name === "sports") {
      allMet = (await benchSports({ quick: values.quick ?? false })) && allMet;
      continue;
    }
    if (name === "backfill") {
      const workers = Number(values.workers ?? 1);
      if (!Number.isInteger(workers) || workers < 1 || workers > 20) throw new Error(`--workers: must be 1 to 20; ${usage}`);
      allMet = (await benchBackfill({ workers })) && allMet;
      continue;
    }
    if (name === "scale") {
      allMet = (await benchScale({ quick: values.quick ?? false })) && allMet;
      continue;
    }
    if (name === "collect") {
      allMet = (await benchCollect({ quick: values.quick ?? false })) && allMet;
      continue;
    }
    if (name === "dashboard") {
      const stack = await createTestStack("bench-dashboard");
      try {
        const sizes = values.quick ? { runs: 10_000, logs: 100_000 } : { runs: 100_000, logs: 1_000_000 };
        allMet = (await benchDashboard(stack, sizes)) && allMet;
      } finally {
        await stack.close();
      }
      continue;
    }
    const stack = await createTestStack("bench-monitoring");
    try {
      const sizes = values.quick
        ? { events: 10_000, perEventCalls: 300, bigLogRows: 200_000 }
        : { events: 100_000, perEventCalls: 2_000, bigLogRows: 5_000_000 };
      allMet = (await benchMonitoring(stack, sizes)) && allMet;
    } finally {
      await stack.close();
    }
  }
  console.log(`\n${allMet ? "all targets met" : "some targets NOT met (see above)"}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
