// The Sportmonks simulator as a background service of the local stack: it must
// outlive `npm start`, because pg_cron keeps invoking collect against it. `npm start`
// hands stackUp its service spec and the collect settings that point at it; its pid
// and port live in the stack's state, so `npm run stack -- down` stops it too.
import { freePort } from "../local/ports.ts";
import type { ServiceSpec } from "../local/services.ts";
import { loadState } from "../local/state.ts";

export const SIMULATOR_SERVICE = "simulator";
export const SIMULATOR_API_KEY = "simulator-key";
/** Calls per entity per hour, like a Sportmonks plan. */
export const SIMULATOR_HOURLY_LIMIT = 3000;

export interface LocalSimulator {
  url: string;
  /** The value for SPORTMONKS_BASE_URL. */
  baseUrl: string;
  apiKey: string;
  /** The service stackUp runs (StackUpOptions.services). */
  service: ServiceSpec;
  /** What the collect function needs to read from it (StackUpOptions.functionEnv.collect). */
  collectEnv: { SPORTMONKS_API_KEY: string; SPORTMONKS_BASE_URL: string };
}

/** The port the simulator has (or will get): known before the stack starts its function servers. */
export async function simulatorPort(): Promise<number> {
  return loadState()?.services[SIMULATOR_SERVICE]?.port ?? (await freePort());
}

/** The simulator on `port`: its service spec for stackUp, and where collect finds it. */
export function localSimulator(port: number): LocalSimulator {
  const url = `http://127.0.0.1:${port}`;
  const baseUrl = `${url}/v3/football`;
  return {
    url,
    baseUrl,
    apiKey: SIMULATOR_API_KEY,
    service: {
      name: SIMULATOR_SERVICE,
      entry: "packages/simulator/src/main.ts",
      port,
      env: { SIMULATOR_PORT: String(port), SIMULATOR_API_KEY, SIMULATOR_HOURLY_LIMIT: String(SIMULATOR_HOURLY_LIMIT) },
    },
    collectEnv: { SPORTMONKS_API_KEY: SIMULATOR_API_KEY, SPORTMONKS_BASE_URL: baseUrl },
  };
}
