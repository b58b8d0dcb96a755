// Service entry: the stack's RPC gateway on the stack's API port, serving the main `postgres`
// database and proxying /functions/v1/<name> to the function servers recorded in .local/stack.json.

import { functionPortsFromState } from "./functions-server.ts";
import { startGateway } from "./gateway/server.ts";
import { loadState } from "./state.ts";

const state = loadState();
if (!state) throw new Error("no local stack state (.local/stack.json): start the stack with `npm run stack -- up`");
const gateway = await startGateway({
  authenticatorUrl: `postgresql://authenticator:${encodeURIComponent(state.authenticatorPassword)}@127.0.0.1:${state.dbPort}/postgres`,
  jwtSecret: state.jwtSecret,
  port: state.gatewayPort,
  functionPorts: functionPortsFromState,
});
console.log(`gateway: listening on ${gateway.url}`);
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => void gateway.close().then(() => process.exit(0)));
}
