// The Sportmonks simulator as a background service of the local stack: it must
// outlive `npm start`, because pg_cron keeps invoking collect against it. Its pid
// and port live in the stack's state, so `npm run stack -- down` stops it too.
import { freePort, waitForPort } from "../local/ports.ts";
import { isAlive, startService } from "../local/services.ts";
import { loadState, saveState } from "../local/state.ts";

export const SIMULATOR_SERVICE = "simulator";
export const SIMULATOR_API_KEY = "simulator-key";
/** Calls per entity per hour, like a Sportmonks plan. */
export const SIMULATOR_HOURLY_LIMIT = 3000;

export interface RunningSimulator {
  url: string;
  /** The value for SPORTMONKS_BASE_URL. */
  baseUrl: string;
  apiKey: string;
  hourlyLimit: number;
  reused: boolean;
}

const describe = (port: number, reused: boolean): RunningSimulator => ({
  url: `http://127.0.0.1:${port}`,
  baseUrl: `http://127.0.0.1:${port}/v3/football`,
  apiKey: SIMULATOR_API_KEY,
  hourlyLimit: SIMULATOR_HOURLY_LIMIT,
  reused,
});

async function healthy(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/__health`, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** The port the simulator has (or will get): known before the stack starts its function servers. */
export async function simulatorPort(): Promise<number> {
  return loadState()?.services[SIMULATOR_SERVICE]?.port ?? (await freePort());
}

/** Reuses the running simulator on `port`, or starts one there. Call after the stack is up (its state exists). */
export async function ensureSimulator(port: number): Promise<RunningSimulator> {
  const running = loadState()?.services[SIMULATOR_SERVICE];
  if (running && running.port === port && isAlive(running.pid) && (await healthy(port))) return describe(port, true);
  const pid = startService({
    name: SIMULATOR_SERVICE,
    entry: "packages/simulator/src/main.ts",
    port,
    env: { SIMULATOR_PORT: String(port), SIMULATOR_API_KEY, SIMULATOR_HOURLY_LIMIT: String(SIMULATOR_HOURLY_LIMIT) },
  });
  await waitForPort(port, 30_000);
  const state = loadState();
  if (!state) throw new Error("the local stack's state disappeared while starting the simulator: run `npm start` again");
  state.services[SIMULATOR_SERVICE] = { pid, port };
  saveState(state);
  return describe(port, false);
}
