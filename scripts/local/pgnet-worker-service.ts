// Service entry: the pg_net stand-in's worker for the stack's `postgres` database (pg_net.database_name).
import { startPgNetWorker } from "./pgnet-worker.ts";
import { databaseUrl, loadState } from "./state.ts";

const state = loadState();
if (!state) throw new Error("no local stack state (.local/stack.json): start the stack with `npm run stack -- up`");
const worker = startPgNetWorker({ databaseUrl: databaseUrl(state), log: (line) => console.log(`pg_net worker: ${line}`) });
console.log("pg_net worker: serving database postgres");
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => void worker.stop().then(() => process.exit(0)));
}
