import { afterEach } from "vitest";
import { type Simulator, type SimulatorOptions, startSimulator } from "../src/index.ts";

export const FIXED_NOW = "2025-03-15T15:00:00Z";
const running: Simulator[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((sim) => sim.close()));
});

/** A simulator with a frozen clock at FIXED_NOW unless told otherwise; closed after each test. */
export async function simulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await startSimulator({ seed: 42, now: FIXED_NOW, timeScale: 0, ...options });
  running.push(sim);
  return sim;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected field by field
  body: any;
}

export async function api(sim: Simulator, path: string, init: { key?: string | null } = {}): Promise<ApiResponse> {
  const key = init.key === undefined ? sim.apiKey : init.key;
  const response = await fetch(path.startsWith("http") ? path : `${sim.baseUrl}/${path}`, {
    headers: key === null ? {} : { authorization: key },
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text) };
}
