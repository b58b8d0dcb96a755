// The Sportmonks simulator as a background service of the local stack: it must
// outlive `npm start`, because pg_cron keeps invoking collect against it. `npm start`
// hands stackUp its service spec, which provides collect the settings that point at
// it; the stack's state keeps the spec, so `npm run stack -- down` stops it and `up`
// starts it again.
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
  /** The service stackUp runs (StackUpOptions.services); it provides collect's SPORTMONKS_API_KEY and SPORTMONKS_BASE_URL. */
  service: ServiceSpec;
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
      provides: { collect: { SPORTMONKS_API_KEY: SIMULATOR_API_KEY, SPORTMONKS_BASE_URL: baseUrl } },
    },
  };
}
