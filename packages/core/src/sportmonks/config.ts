// Client settings from the environment (the seed's variable names), validated
// before any request so a missing key is one clear message, not a 401 later.
import { SPORTMONKS_DEFAULT_BASE_URL } from "./client.ts";
import { SportmonksInvalidArgument } from "./errors.ts";

export interface SportmonksEnvConfig {
  apiKey: string;
  baseUrl: string;
}

export function sportmonksConfigFromEnv(env: Record<string, string | undefined>): SportmonksEnvConfig {
  const apiKey = env.SPORTMONKS_API_KEY?.trim();
  if (!apiKey) {
    throw new SportmonksInvalidArgument(
      "SPORTMONKS_API_KEY: missing; set it to your Sportmonks API token (or point SPORTMONKS_BASE_URL at a simulator and use any value)",
    );
  }
  const baseUrl = env.SPORTMONKS_BASE_URL?.trim() || SPORTMONKS_DEFAULT_BASE_URL;
  let protocol: string | null = null;
  try {
    protocol = new URL(baseUrl).protocol;
  } catch {
    // Reported below with the value.
  }
  if (protocol !== "http:" && protocol !== "https:") {
    throw new SportmonksInvalidArgument(
      `SPORTMONKS_BASE_URL: ${JSON.stringify(baseUrl)} is not an http(s) URL; unset it to use ${SPORTMONKS_DEFAULT_BASE_URL}`,
    );
  }
  return { apiKey, baseUrl };
}
