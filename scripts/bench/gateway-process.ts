// The RPC gateway alone in a process, for benchmarks: PostgREST never shares a
// client's JavaScript thread, so a bench that runs the client in-process with the
// gateway would charge the API's work to the client (and the client's to the API).
// Settings from env: BENCH_GATEWAY_DATABASE_URL (as authenticator), BENCH_GATEWAY_JWT_SECRET, BENCH_GATEWAY_PORT.
import { startGateway } from "../local/gateway/server.ts";

const need = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: this process is started by scripts/bench/monitoring.ts`);
  return value;
};
const gateway = await startGateway({
  authenticatorUrl: need("BENCH_GATEWAY_DATABASE_URL"),
  jwtSecret: need("BENCH_GATEWAY_JWT_SECRET"),
  port: Number(need("BENCH_GATEWAY_PORT")),
});
process.once("SIGTERM", () => void gateway.close().then(() => process.exit(0)));
