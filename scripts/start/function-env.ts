// The local function servers read SPORTMONKS_* when `stack up` starts them. If a
// server runs with other values (started before the simulator, or by another
// command), restart it with the ones `npm start` needs.
import { readFileSync } from "node:fs";
import { FUNCTION_SERVICE_PREFIX, functionServerSpec } from "../local/functions-server.ts";
import { waitForPort } from "../local/ports.ts";
import { isAlive, startService, stopService } from "../local/services.ts";
import { loadState, saveState, stackEnv } from "../local/state.ts";

/** The environment a process started with (Linux). */
function processEnv(pid: number): Record<string, string> | undefined {
  try {
    const env: Record<string, string> = {};
    for (const entry of readFileSync(`/proc/${pid}/environ`, "utf8").split("\0")) {
      const eq = entry.indexOf("=");
      if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    return env;
  } catch {
    return undefined;
  }
}

/**
 * Makes sure function `name` is served with `wanted` in its environment (an
 * undefined value: the variable must be absent). Returns true when the server
 * was restarted.
 */
export async function ensureFunctionEnv(name: string, wanted: Record<string, string | undefined>): Promise<boolean> {
  const state = loadState();
  const service = `${FUNCTION_SERVICE_PREFIX}${name}`;
  const running = state?.services[service];
  if (!state || !running?.port) {
    throw new Error(`the ${name} function is not served by the local stack: run \`npm run build:functions\`, then \`npm start\` again`);
  }
  const current = isAlive(running.pid) ? processEnv(running.pid) : undefined;
  if (current && Object.entries(wanted).every(([k, v]) => current[k] === v)) return false;
  await stopService(running.pid);
  const spec = functionServerSpec(name, running.port, stackEnv(state));
  const env = { ...spec.env };
  for (const [k, v] of Object.entries(wanted)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const pid = startService({ ...spec, env });
  const latest = loadState() ?? state;
  latest.services[service] = { pid, port: running.port };
  saveState(latest);
  await waitForPort(running.port, 60_000);
  return true;
}
