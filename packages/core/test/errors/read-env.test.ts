// Env reading lives in src/config; its errors are part of the errors story: they name the variable and the fix.

import { describe, expect, it } from "vitest";
import { z } from "zod";
import { EnvError, httpUrl, positiveInt, readEnv, serviceEnvSchema } from "../../src/config/index.ts";

describe("readEnv", () => {
  it("returns validated values, trimming URLs", () => {
    const env = readEnv(serviceEnvSchema, { SUPABASE_URL: "http://127.0.0.1:5432/", SUPABASE_SERVICE_ROLE_KEY: "k" });
    expect(env).toEqual({ SUPABASE_URL: "http://127.0.0.1:5432", SUPABASE_SERVICE_ROLE_KEY: "k" });
  });

  it("names missing variables and the fix", () => {
    const read = () => readEnv(serviceEnvSchema, { SUPABASE_URL: "" }, { fix: "run `npm run stack -- env`" });
    expect(read).toThrow(EnvError);
    expect(read).toThrow("SUPABASE_URL is not set; SUPABASE_SERVICE_ROLE_KEY is not set; run `npm run stack -- env`");
  });

  it("rejects a non-http URL without echoing secrets", () => {
    try {
      readEnv(serviceEnvSchema, { SUPABASE_URL: "ftp://x", SUPABASE_SERVICE_ROLE_KEY: "very-secret-value" });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(EnvError);
      expect((err as EnvError).variables).toEqual(["SUPABASE_URL"]);
      expect((err as Error).message).toContain("SUPABASE_URL must be an http(s) URL");
      expect((err as Error).message).not.toContain("very-secret-value");
    }
  });

  it("coerces numbers and reports the bad one", () => {
    const schema = z.object({ PORT: positiveInt, URL: httpUrl.optional() });
    expect(readEnv(schema, { PORT: "8080" })).toEqual({ PORT: 8080 });
    expect(() => readEnv(schema, { PORT: "-1" })).toThrow(/^PORT /);
  });
});
