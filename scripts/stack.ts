// npm run stack -- up | down | status | env | reset

import { clusterDir } from "./local/postgres.ts";
import { describeSchedule } from "./local/schedules.ts";
import { requireStackEnv, stackDown, stackReset, stackStatus, stackUp } from "./local/stack-control.ts";
import { exportLines } from "./local/state.ts";

const usage = "usage: npm run stack -- up | down | status | env | reset";

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (rest.length > 0) throw new Error(`unexpected argument ${rest[0]}: ${usage}`);
  const log = (line: string) => console.error(`stack: ${line}`);
  switch (command) {
    case "up": {
      const state = await stackUp(log);
      log(`up: database on 127.0.0.1:${state.dbPort}, API on http://127.0.0.1:${state.gatewayPort}`);
      log('load its settings into your shell with: eval "$(npm run -s stack -- env)"');
      return 0;
    }
    case "down":
      await stackDown();
      log("down");
      return 0;
    case "reset":
      await stackReset(log);
      log("reset: a fresh cluster with every migration applied");
      return 0;
    case "status": {
      const { cluster, state, services, schedules } = await stackStatus();
      console.log(`database: ${cluster}${state ? ` (127.0.0.1:${state.dbPort})` : ""}`);
      console.log(`data: ${clusterDir()}`);
      for (const [name, alive] of Object.entries(services)) console.log(`${name}: ${alive ? "running" : "stopped"}`);
      for (const schedule of schedules) console.log(describeSchedule(schedule));
      return cluster === "running" ? 0 : 1;
    }
    case "env": {
      console.log(exportLines(requireStackEnv()));
      return 0;
    }
    default:
      throw new Error(command ? `unknown command ${command}: ${usage}` : usage);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`stack: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
